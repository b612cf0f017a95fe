// _textpost_cpp: CRAFT's word-box postprocess as a CPython extension module in C++17.
//
// The C/C++ rung of the workshop's ladder: exactly the boxes of
// textpost/levels/reference.py, in the same order.  The NumPy arrays are wrapped
// as cv::Mat without copying a pixel, the per-component loop runs in C++ with
// OpenCV's C++ API, and the GIL is released meanwhile, so that two Python threads
// can run two pages at once.  get_boxes_direct does steps 3d-3e as the reference
// does; get_boxes gets the same rectangle from row spans (points_spans): use it.
//
// Part 1 is plain C++ (the algorithm, no Python), Part 2 the Python side, Part 3
// the module table.  The arguments are checked before they get here, in Python,
// by the contract every level shares (textpost/contract.py, called in
// textpost/levels/cpp_level.py, which builds this file with textpost.build).
//
// C++ for Python programmers: `const` = not changed here; `T&` = the caller's own
// object (not a copy); `T*` = a pointer (an address); std::vector<T> = a list of
// T that frees its memory itself; `throw`/`try`/`catch` = raise/try/except.
//
// Written by hand against the CPython and NumPy C APIs (no pybind11), so that
// every step a binding library would hide is visible:
//
//   reference counts   Every PyObject* is either *borrowed* (we may use it, we
//                      must not release it: the arguments we are given) or
//                      *new* (we own one reference and must give it back with
//                      Py_DECREF exactly once, on every path, errors included).
//                      Each function below says which kind it returns.
//   array flags        the maps are converted to aligned, C-ordered float32,
//                      which costs nothing when they already are (as_float32_map).
//   zero-copy cv::Mat  a cv::Mat header over NumPy's memory, which must stay
//                      alive while the Mat is used (wrap).
//   the GIL            Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS lets other
//                      Python threads run while we compute.  Between the two,
//                      no Python API may be called (no exceptions raised, no
//                      objects touched): errors are recorded in plain C++ and
//                      turned into Python exceptions after the GIL is back.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "box_finish.hpp"
#include "rect_batch.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

// The float32 formulas below must round exactly like NumPy's float32 arithmetic:
// a fused multiply-add would skip one rounding step.  textpost/build.py passes
// -ffp-contract=off (GCC and Clang); Clang also honours the standard pragma.
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace {

// ---------------------------------------------------------------------------
// Part 1. Plain C++: the postprocess itself.  No Python here: it runs without the GIL.
// ---------------------------------------------------------------------------

// Values of the uint8 "score" image: bit 0 = text (textmap > low_text),
// bit 1 = link (linkmap > link_threshold).  connectedComponents treats every
// nonzero pixel as foreground, so this one image is both the union to label
// and the record of which pixels are "link but not text".
constexpr uint8_t kText = 1, kLink = 2;
constexpr uint8_t kLinkOnly = kLink;  // link set, text not set

// text_threshold, link_threshold, low_text, as float32: NumPy compares a float32
// map with a Python float in float32, and cv::threshold does too.
struct Thresholds { float text, link, low; };

// Two ways to do steps 3d-3e, one result: `direct` as the reference does them (but on
// the component's region only), `spans` without any image (see points_spans).
enum class Method { direct, spans };

// Buffers reused from one component to the next, instead of new ones for each.
struct Workspace {
    std::vector<uint8_t> mask;          // direct: the component's mask, region-sized
    std::vector<uint8_t> grown;         // direct: the dilated mask
    std::vector<int> first, last;       // spans: the mask's first/last column in each row
    std::vector<cv::Point> points;      // the points for minAreaRect, image coordinates
};

// One connected component (one label) and the region that step 3d works in
// (x, y, w, h, niter, sx, sy, ex, ey: see Region in box_finish.hpp).
struct Component : Region {
    int k;                  // its label
};

// Step 1, both maps in one pass: the score image.  The loop body has no branches,
// so the compiler turns it into SIMD code (several pixels per instruction).
void binarise(const cv::Mat& text, const cv::Mat& link, const Thresholds& thr, cv::Mat& score) {
    score.create(text.size(), CV_8U);
    // Copy everything the inner loop reads into locals: `s` is a uint8_t
    // pointer, and C++ lets a byte store alias any object, so with
    // `c < text.cols` or `thr.low` in the loop the compiler would reload them
    // after every store and give up on SIMD.
    const int rows = text.rows, cols = text.cols;
    const float low = thr.low, link_thr = thr.link;
    for (int r = 0; r < rows; ++r) {
        const float* t = text.ptr<float>(r);
        const float* l = link.ptr<float>(r);
        uint8_t* s = score.ptr<uint8_t>(r);
        // strictly greater, in float32: what cv::threshold(THRESH_BINARY) does
        for (int c = 0; c < cols; ++c)
            s[c] = static_cast<uint8_t>((t[c] > low ? kText : 0) | (l[c] > link_thr ? kLink : 0));
    }
}

// Steps 3b-3e, direct method.  Fills ws.points with every nonzero pixel of the
// dilated mask, or returns false when the confidence filter drops the label.
bool points_direct(const Component& cc, const cv::Mat& labels, const cv::Mat& score,
                   const cv::Mat& text, const Thresholds& thr, Workspace& ws) {
    const int rw = cc.ex - cc.sx, rh = cc.ey - cc.sy;
    // 3b + 3c in one pass over the box: the best textmap score of the label,
    // and its mask (label pixels minus link-but-not-text pixels) written
    // straight into a region-sized buffer (zeros around the box).
    ws.mask.assign(static_cast<size_t>(rw) * rh, 0);
    cv::Mat mask(rh, rw, CV_8U, ws.mask.data());   // a header over our buffer: no copy
    float best = -std::numeric_limits<float>::infinity();
    for (int r = cc.y; r < cc.y + cc.h; ++r) {
        const int* lab = labels.ptr<int>(r);
        const uint8_t* sc = score.ptr<uint8_t>(r);
        const float* tm = text.ptr<float>(r);
        uint8_t* m = mask.ptr<uint8_t>(r - cc.sy) - cc.sx;   // so that m[c] is image column c
        for (int c = cc.x; c < cc.x + cc.w; ++c) {
            if (lab[c] == cc.k) {
                best = std::max(best, tm[c]);
                m[c] = sc[c] == kLinkOnly ? 0 : 255;
            }
        }
    }
    if (best < thr.text) return false;  // 3b. confidence filter

    // 3d. dilate inside the region.  `mask` wraps a buffer of exactly the
    // region's size, so OpenCV sees a standalone image and pads it with the
    // neutral value, just like cv2.dilate on the reference's slice.
    ws.grown.resize(ws.mask.size());
    cv::Mat grown(rh, rw, CV_8U, ws.grown.data());  // right size and type: dilate fills it in place
    cv::dilate(mask, grown, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1 + cc.niter, 1 + cc.niter)));

    // 3e. its nonzero pixels, row by row like np.where, in image coordinates
    cv::findNonZero(grown, ws.points);   // (no nonzero pixel: an empty vector)
    for (cv::Point& p : ws.points) p += cv::Point(cc.sx, cc.sy);
    return true;
}

// Steps 3b-3e, spans method: the same rectangle, computed from row spans.
//
// cv::minAreaRect depends only on the convex hull of its points.  A pixel
// between the first and the last nonzero pixel of its row lies on the segment
// joining them, so it is never a corner of the hull (OpenCV's convexHull drops
// such points).  The first and last pixel of every row are therefore enough,
// and for those we need no image: dilating with a k x k rectangle (anchor a =
// k / 2) turns a mask pixel at column c into columns c + a - (k - 1) .. c + a
// of the rows a - (k - 1) .. a around it.  So the first column of a dilated
// row is the smallest first column of the mask rows under the kernel, shifted
// by a - (k - 1) and clipped to the region; the last column likewise.
// The same points as the direct method's extremes, exactly; no per-component
// image to clear, dilate and scan.
bool points_spans(const Component& cc, const cv::Mat& labels, const cv::Mat& score,
                  const cv::Mat& text, const Thresholds& thr, Workspace& ws) {
    constexpr int kNone = kNoPixel;   // "no mask pixel in this row" (box_finish.hpp)
    // 3b + 3c in one pass over the box: the best textmap score of the label,
    // and the first/last column of its mask in each row.
    ws.first.assign(cc.h, kNone);
    ws.last.assign(cc.h, kNone);
    float best = -std::numeric_limits<float>::infinity();
    for (int i = 0; i < cc.h; ++i) {
        const int r = cc.y + i;
        const int* lab = labels.ptr<int>(r);
        const uint8_t* sc = score.ptr<uint8_t>(r);
        const float* tm = text.ptr<float>(r);
        int first = kNone, last = kNone;
        for (int c = cc.x; c < cc.x + cc.w; ++c) {
            if (lab[c] == cc.k) {
                best = std::max(best, tm[c]);
                if (sc[c] != kLinkOnly) {   // in the mask
                    if (first == kNone) first = c;
                    last = c;
                }
            }
        }
        ws.first[i] = first;
        ws.last[i] = last;
    }
    if (best < thr.text) return false;  // 3b. confidence filter

    // 3d + 3e. the first and last pixel of each dilated row, in row order
    dilated_row_extremes(cc, ws.first.data(), ws.last.data(), ws.points);   // box_finish.hpp
    return true;
}

// Steps 3e-3g for one component (the rectangle, the diamond fix, the corner order) are
// box_from_points(points, box), in box_finish.hpp: shared with exercise 06.

// The whole postprocess on two float32 maps of the same size (checked, finite:
// the Python side saw to that).  Appends 8 floats per box to `boxes`.
void find_boxes(const cv::Mat& text, const cv::Mat& link, const Thresholds& thr,
                Method method, std::vector<float>& boxes) {
    cv::Mat score;
    binarise(text, link, thr, score);                                    // 1.

    cv::Mat labels, stats, centroids;                                    // 2.
    const int n_labels = cv::connectedComponentsWithStats(score, labels, stats, centroids, 4, CV_32S);

    Workspace ws;
    float box[8];
    for (int k = 1; k < n_labels; ++k) {                                 // 3.
        const int* st = stats.ptr<int>(k);
        const int area = st[cv::CC_STAT_AREA];
        if (area < 10) continue;                                         // 3a. size filter
        Component cc{};   // niter and the region (box_finish.hpp), and the label
        static_cast<Region&>(cc) = region_of(st[cv::CC_STAT_LEFT], st[cv::CC_STAT_TOP], st[cv::CC_STAT_WIDTH],
                                             st[cv::CC_STAT_HEIGHT], area, text.rows, text.cols);
        cc.k = k;

        const bool keep = method == Method::direct
                              ? points_direct(cc, labels, score, text, thr, ws)
                              : points_spans(cc, labels, score, text, thr, ws);
        if (!keep) continue;                                             // 3b. confidence filter
        box_from_points(ws.points, box);
        boxes.insert(boxes.end(), box, box + 8);
    }
}

// ---------------------------------------------------------------------------
// Part 2. The Python side: conversion, the GIL, errors, and the result array.
// ---------------------------------------------------------------------------

// One map as an aligned, C-contiguous, 2-D float32 array: a NEW reference (the
// caller must Py_DECREF it), or NULL with a Python exception set.  `obj` is borrowed.
PyArrayObject* as_float32_map(PyObject* obj) {
    // PyArray_FromAny *steals* the reference to the descriptor we pass, so we do
    // not Py_DECREF it ourselves.  2, 2: exactly two dimensions, else ValueError.
    // NPY_ARRAY_FORCECAST allows float64 -> float32 (not a "safe" cast); ALIGNED |
    // C_CONTIGUOUS asks for a layout that C can walk with a plain pointer.  Input
    // that already is like that (float32 in C order, as cpp_level.py passes it) comes
    // back as the very same object with one more reference: no copy.  Anything else
    // (float64, Fortran order, strided views) becomes a converted copy.
    PyObject* converted = PyArray_FromAny(
        obj, PyArray_DescrFromType(NPY_FLOAT32), 2, 2,
        NPY_ARRAY_ALIGNED | NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_FORCECAST, nullptr);
    return reinterpret_cast<PyArrayObject*>(converted);
}

// What only C++ can see: OpenCV counts rows and columns in an `int` (at most
// INT_MAX), NumPy in a 64-bit npy_intp.  Raises ValueError and returns false when
// the maps do not fit, or are empty or differ in shape (contract.py checks those
// first, but a direct call must not make OpenCV read outside the maps).
bool check_sizes(PyArrayObject* text, PyArrayObject* link) {
    const npy_intp rows = PyArray_DIM(text, 0), cols = PyArray_DIM(text, 1);
    if (rows > INT_MAX || cols > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "a %zd x %zd map is too large for OpenCV (at most %d per side)",
                     static_cast<Py_ssize_t>(rows), static_cast<Py_ssize_t>(cols), INT_MAX);
        return false;
    }
    if (rows == 0 || cols == 0 || PyArray_DIM(link, 0) != rows || PyArray_DIM(link, 1) != cols) {
        PyErr_SetString(PyExc_ValueError, "textmap and linkmap must be non-empty and of the same shape");
        return false;
    }
    return true;
}

// A zero-copy cv::Mat over a C-contiguous float32 array: only a header that
// points at NumPy's memory (no allocation, no copy, and it never frees it).  The
// step is computed, not read from the array's strides: NumPy calls a (1, N) array
// C-contiguous whatever its first stride says, and that stride can be anything.
cv::Mat wrap(PyArrayObject* arr) {
    const int rows = static_cast<int>(PyArray_DIM(arr, 0));
    const int cols = static_cast<int>(PyArray_DIM(arr, 1));
    return cv::Mat(rows, cols, CV_32F, PyArray_DATA(arr));
}

// get_boxes and get_boxes_direct: a new reference to the result, or NULL with an exception set.
PyObject* get_boxes_with(Method method, const char* format, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"textmap", "linkmap", "text_threshold", "link_threshold", "low_text", nullptr};
    // Borrowed: the caller keeps the arguments alive for the whole call.  In the
    // format, "O!" + &PyArray_Type: a NumPy array, else TypeError (so a wrong type
    // is a Python exception, never a crash); "f": a number, rounded to a C float
    // (float32, the precision in which NumPy and cv::threshold compare; beyond it, +-inf).
    PyObject *text_obj, *link_obj;
    Thresholds thr{0.7f, 0.4f, 0.4f};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, const_cast<char**>(keywords),
                                     &PyArray_Type, &text_obj, &PyArray_Type, &link_obj,
                                     &thr.text, &thr.link, &thr.low))
        return nullptr;

    PyArrayObject* text = as_float32_map(text_obj);   // new reference
    if (text == nullptr) return nullptr;
    PyArrayObject* link = as_float32_map(link_obj);   // new reference
    if (link == nullptr || !check_sizes(text, link)) {
        Py_DECREF(text);    // every way out gives back what we took
        Py_XDECREF(link);   // (the X: link may be NULL here)
        return nullptr;
    }

    std::vector<float> boxes;   // K * 4 * 2 floats
    bool failed = false;
    char message[1024] = "";   // a fixed buffer: saving the message must not allocate (and throw)

    // --- no Python from here ... -------------------------------------------
    Py_BEGIN_ALLOW_THREADS
    try {
        const cv::Mat text_mat = wrap(text), link_mat = wrap(link);   // zero-copy views
        find_boxes(text_mat, link_mat, thr, method, boxes);
    } catch (const std::exception& e) {   // OpenCV's cv::Exception, std::bad_alloc, ...
        failed = true;
        std::snprintf(message, sizeof message, "%s", e.what());
    } catch (...) {   // a C++ exception must never reach Python's C code: that would abort
        failed = true;
        std::snprintf(message, sizeof message, "unknown C++ exception");
    }
    Py_END_ALLOW_THREADS
    // --- ... to here: the GIL is ours again ----------------------------------

    // The maps are not needed any more (the cv::Mat views are gone): give back our references.
    Py_DECREF(text);
    Py_DECREF(link);
    // A C++ error becomes a Python exception (PyErr_Format sets it and returns NULL).
    if (failed) return PyErr_Format(PyExc_RuntimeError, "C++ error: %s", message);

    // The result: a new (K, 4, 2) float32 array that owns its memory.
    npy_intp dims[3] = {static_cast<npy_intp>(boxes.size() / 8), 4, 2};
    PyObject* result = PyArray_SimpleNew(3, dims, NPY_FLOAT32);   // new reference, handed to the caller
    if (result == nullptr) return nullptr;
    float* out = static_cast<float*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)));
    std::copy(boxes.begin(), boxes.end(), out);
    return result;
}

PyObject* py_get_boxes(PyObject* /*module*/, PyObject* args, PyObject* kwargs) {
    return get_boxes_with(Method::spans, "O!O!|fff:get_boxes", args, kwargs);
}
PyObject* py_get_boxes_direct(PyObject* /*module*/, PyObject* args, PyObject* kwargs) {
    return get_boxes_with(Method::direct, "O!O!|fff:get_boxes_direct", args, kwargs);
}

// The OpenCV this module links (the system's C++ library) is not the one inside
// the Python cv2 module: each has its own thread pool and its own setting.
PyObject* py_set_num_threads(PyObject* /*module*/, PyObject* arg) {
    int n;
    if (!PyArg_Parse(arg, "i", &n)) return nullptr;   // TypeError, or OverflowError beyond int
    try {   // a C++ exception must never cross into Python's C code
        cv::setNumThreads(n);
    } catch (const std::exception& e) {
        return PyErr_Format(PyExc_RuntimeError, "OpenCV error: %s", e.what());
    }
    Py_RETURN_NONE;
}

PyObject* py_get_num_threads(PyObject*, PyObject*) { return PyLong_FromLong(cv::getNumThreads()); }
// CV_VERSION: the version of the OpenCV headers this module was compiled with
PyObject* py_opencv_version(PyObject*, PyObject*) { return PyUnicode_FromString(CV_VERSION); }

// rect_boxes(points, starts): cv::minAreaRect + boxPoints of many point sets (rect_batch.hpp),
// the oracle the tests hold the fused level's own rectangle against.
PyObject* py_rect_boxes(PyObject*, PyObject* args) {
    thread_local std::vector<cv::Point> points;
    return rect_boxes_with(args, [](const int* xy, int n, float box[8]) {
        points.assign(reinterpret_cast<const cv::Point*>(xy), reinterpret_cast<const cv::Point*>(xy) + n);
        cv::RotatedRect rect;   // all zero for no points, like Python's cv2.minAreaRect
        if (n > 0) rect = cv::minAreaRect(points);
        cv::Point2f corners[4];
        rect.points(corners);
        std::memcpy(box, corners, sizeof corners);
    });
}

// ---------------------------------------------------------------------------
// Part 3. The module: its function table and the init function Python calls
// on `import _textpost_cpp` (the name after PyInit_ must match the file name).
// ---------------------------------------------------------------------------

#define SIGNATURE "(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)\n--\n\n"

// (A function that takes keywords has a third parameter; the table stores it as a
// plain PyCFunction, and METH_KEYWORDS tells Python how to call it.)
PyMethodDef kMethods[] = {
    {"get_boxes", (PyCFunction)(void (*)(void))py_get_boxes, METH_VARARGS | METH_KEYWORDS,
     "get_boxes" SIGNATURE "The reference's word boxes, computed in C++ with the GIL released. Arguments\n"
     "are not checked here: call textpost.levels.cpp_level.get_boxes_cpp."},
    {"get_boxes_direct", (PyCFunction)(void (*)(void))py_get_boxes_direct, METH_VARARGS | METH_KEYWORDS,
     "get_boxes_direct" SIGNATURE "get_boxes with steps 3d-3e as the reference does them: slower."},
    {"set_num_threads", py_set_num_threads, METH_O, "set_num_threads(n)\n--\n\ncv::setNumThreads(n)."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, "get_num_threads()\n--\n\ncv::getNumThreads()."},
    {"opencv_version", py_opencv_version, METH_NOARGS, "opencv_version()\n--\n\nCV_VERSION."},
    {"rect_boxes", py_rect_boxes, METH_VARARGS, "rect_boxes(points, starts)\n--\n\n"
     "cv::minAreaRect + boxPoints of each set points[starts[k]:starts[k+1]] (for tests)."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_textpost_cpp",
                       "CRAFT's word-box postprocess in C++ (NumPy C API + OpenCV C++ API).", -1, kMethods,
                       nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__textpost_cpp(void) {
    import_array();   // loads NumPy's C API table; returns NULL from here on failure
    return PyModule_Create(&kModule);
}
