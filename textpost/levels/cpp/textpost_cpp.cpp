// _textpost_cpp: CRAFT's word-box postprocess as a CPython extension module in C++17.
//
// The C/C++ rung of the workshop's ladder.  It returns exactly the boxes of
// textpost/levels/reference.py (same boxes, same order), but
//   * it receives the NumPy arrays through the NumPy C API and wraps their
//     memory in cv::Mat headers without copying a pixel,
//   * it runs the whole per-component loop in C++, with OpenCV's C++ API,
//     looking only at each component's own bounding box,
//   * it releases the GIL while it computes, so that two Python threads can
//     run two pages at the same time.
//
// Two functions, one result:
//   get_boxes_direct  steps 3d-3e as the reference does them (a mask image per
//                     component, cv::dilate, every pixel to cv::minAreaRect);
//   get_boxes         the same rectangle from each row's first and last pixel
//                     (points_spans below): the version to use.
//
// Layout of this file: Part 1 is plain C++ (the algorithm, no Python), Part 2
// the Python side (argument checks, conversion, GIL, result), Part 3 the
// module table and its init function.
//
// Written by hand against the CPython and NumPy C APIs (no pybind11), so that
// every step a binding library would hide is visible:
//
//   reference counts   Every PyObject* is either *borrowed* (we may use it, we
//                      must not release it: the arguments we are given) or
//                      *new* (we own one reference and must give it back with
//                      Py_DECREF exactly once, on every path, errors included).
//                      Each function below says which kind it returns.
//   array flags        PyArray_FromAny(..., NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED)
//                      returns the very same array when it already is aligned,
//                      C-ordered float32 (no copy) and a converted copy otherwise
//                      (float64, Fortran order, strided views).
//   zero-copy cv::Mat  cv::Mat(rows, cols, CV_32F, pointer) is only a header that
//                      points at NumPy's memory: no allocation, no copy, and it
//                      never frees that memory.  The NumPy array must stay alive
//                      while the Mat is used; we hold a reference to make sure.
//   the GIL            Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS lets other
//                      Python threads run while we compute.  Between the two,
//                      no Python API may be called (no exceptions raised, no
//                      objects touched): errors are recorded in plain C++ and
//                      turned into Python exceptions after the GIL is back.
//
// Build it with textpost.build.build_extension (textpost.levels.cpp_level does).

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

// The float32 formulas below must round exactly like NumPy's float32 arithmetic:
// a fused multiply-add would skip one rounding step.  cppbuild passes
// -ffp-contract=off (GCC and Clang); Clang also honours the standard pragma.
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace {

// numbers.Real, looked up once when the module is imported (a new reference we keep).
PyObject* g_numbers_real = nullptr;
// numpy.errstate, likewise (used to silence the float64 -> float32 overflow warning).
PyObject* g_np_errstate = nullptr;

// ---------------------------------------------------------------------------
// Part 1. Plain C++: the postprocess itself.  No Python in this part, so it can
// run without the GIL.
// ---------------------------------------------------------------------------

// Values of the uint8 "score" image: bit 0 = text (textmap > low_text),
// bit 1 = link (linkmap > link_threshold).  connectedComponents treats every
// nonzero pixel as foreground, so this one image is both the union to label
// and the record of which pixels are "link but not text".
constexpr uint8_t kText = 1;
constexpr uint8_t kLink = 2;
constexpr uint8_t kLinkOnly = kLink;  // link set, text not set

// double -> float32 with round-to-nearest, the way NumPy casts a Python float
// and OpenCV's threshold casts its double threshold; values beyond the float32
// range become +-inf (spelled out, because a plain cast of such a value is
// undefined behaviour in C++).
float to_float32(double v) {
    // halfway between FLT_MAX and 2^128: from here on, rounding gives infinity
    constexpr double kOverflow = 0x1.ffffffp+127;
    if (v >= kOverflow) return std::numeric_limits<float>::infinity();
    if (v <= -kOverflow) return -std::numeric_limits<float>::infinity();
    return static_cast<float>(v);
}

// 1 when v is NaN or +-inf: exactly the floats whose exponent bits are all ones.
inline uint32_t nonfinite_bit(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);   // the float's bits (memcpy: the legal way to type-pun)
    return (bits & 0x7f800000u) == 0x7f800000u;
}

struct Thresholds {
    float text;   // text_threshold, compared as float32 like NumPy does
    float link;   // link_threshold, as OpenCV's threshold uses it
    float low;    // low_text, likewise
};

// Two ways to do steps 3d-3e, with the same result:
enum class Method {
    // The reference's steps one for one, on the component's region only: build
    // the mask image, cv::dilate it, hand every nonzero pixel to cv::minAreaRect.
    direct,
    // The same rectangle from row spans: no image, no cv::dilate (see points_spans).
    spans,
};

// What the computation reports back to the Python side.
struct Outcome {
    std::vector<float> boxes;       // K * 4 * 2 floats
    bool text_finite = true;        // false: textmap holds NaN/inf (nothing else computed)
    bool link_finite = true;        // ... linkmap
};

// Buffers reused from one component to the next: after the first few
// components, the loop allocates nothing.
struct Workspace {
    std::vector<uint8_t> mask;          // direct: the component's mask, region-sized
    std::vector<uint8_t> grown;         // direct: the dilated mask
    std::vector<cv::Mat> kernels;       // direct: dilation kernels by niter
    std::vector<int> first, last;       // spans: the mask's first/last column in each row
    std::vector<cv::Point> points;      // the points for minAreaRect, image coordinates
};

// One connected component (one label) and the region that step 3d works in.
struct Component {
    int k;                  // its label
    int x, y, w, h;         // its bounding box (from the stats)
    int niter;              // the dilation size
    int sx, sy, ex, ey;     // the region: columns sx..ex-1, rows sy..ey-1
};

// Step 1, fused: binarise both maps into the score image and look for NaN/inf,
// in one pass over the pixels.  Returns false when a map is not finite.
// The loop body has no branches, so the compiler turns it into SIMD code
// (several pixels per instruction).
bool binarise(const cv::Mat& text, const cv::Mat& link, const Thresholds& thr,
              cv::Mat& score, Outcome& out) {
    score.create(text.size(), CV_8U);
    // Copy everything the inner loop reads into locals: `s` is a uint8_t
    // pointer, and C++ lets a byte store alias any object, so with
    // `c < text.cols` or `thr.low` in the loop the compiler would reload them
    // after every store and give up on SIMD.
    const int rows = text.rows, cols = text.cols;
    const float low = thr.low, link_thr = thr.link;
    uint32_t bad = 0;   // bit 0: textmap has NaN/inf, bit 1: linkmap has
    for (int r = 0; r < rows; ++r) {
        const float* t = text.ptr<float>(r);
        const float* l = link.ptr<float>(r);
        uint8_t* s = score.ptr<uint8_t>(r);
        for (int c = 0; c < cols; ++c) {
            // strictly greater, in float32: what cv::threshold(THRESH_BINARY) does
            s[c] = static_cast<uint8_t>((t[c] > low ? kText : 0) | (l[c] > link_thr ? kLink : 0));
            bad |= nonfinite_bit(t[c]) | (nonfinite_bit(l[c]) << 1);
        }
    }
    out.text_finite = !(bad & 1);
    out.link_finite = !(bad & 2);
    return bad == 0;
}

const cv::Mat& kernel_for(int niter, Workspace& ws) {
    if (static_cast<size_t>(niter) >= ws.kernels.size()) ws.kernels.resize(niter + 1);
    cv::Mat& kernel = ws.kernels[niter];
    if (kernel.empty()) kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1 + niter, 1 + niter));
    return kernel;
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
    cv::dilate(mask, grown, kernel_for(cc.niter, ws));

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
    constexpr int kNone = INT_MAX;   // "no mask pixel in this row"
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
    const int ksize = 1 + cc.niter, anchor = ksize / 2;   // cv::Point(-1, -1): the centre
    ws.points.clear();
    for (int row = cc.sy; row < cc.ey; ++row) {
        // mask rows under the kernel: row - anchor .. row - anchor + ksize - 1, inside the box
        const int from = std::max(row - anchor, cc.y) - cc.y;
        const int to = std::min(row - anchor + ksize - 1, cc.y + cc.h - 1) - cc.y;
        int first = INT_MAX, last = INT_MIN;
        for (int i = from; i <= to; ++i) {
            if (ws.first[i] == kNone) continue;
            first = std::min(first, ws.first[i]);
            last = std::max(last, ws.last[i]);
        }
        if (last == INT_MIN) continue;   // nothing under the kernel: an empty row
        first = std::max(first + anchor - (ksize - 1), cc.sx);
        last = std::min(last + anchor, cc.ex - 1);
        ws.points.emplace_back(first, row);
        if (last != first) ws.points.emplace_back(last, row);
    }
    return true;
}

// Steps 3e-3g: the box around ws.points, as 8 floats (4 corners x, y).
void box_from_points(const std::vector<cv::Point>& points, float box[8]) {
    // cv2.minAreaRect of no points is ((0, 0), (0, 0), 0): the default RotatedRect
    cv::RotatedRect rect;
    if (!points.empty()) rect = cv::minAreaRect(points);
    cv::Mat corners(4, 2, CV_32F, box);   // boxPoints writes into `box` directly
    cv::boxPoints(rect, corners);

    // 3f. "diamond" fix, in float32 like NumPy on the float32 box
    const float d0x = box[0] - box[2], d0y = box[1] - box[3];
    const float d1x = box[2] - box[4], d1y = box[3] - box[5];
    const float bw = std::sqrt(d0x * d0x + d0y * d0y);
    const float bh = std::sqrt(d1x * d1x + d1y * d1y);
    const float longer = bh > bw ? bh : bw;    // Python's max(w, h)
    const float shorter = bh < bw ? bh : bw;   // Python's min(w, h)
    const float ratio = longer / (shorter + static_cast<float>(1e-5));
    if (std::fabs(1.0f - ratio) <= static_cast<float>(0.1) && !points.empty()) {
        // the axis-aligned bounding box of the points
        int l = points[0].x, r = l, t = points[0].y, b = t;
        for (const cv::Point& p : points) {
            l = std::min(l, p.x);
            r = std::max(r, p.x);
            t = std::min(t, p.y);
            b = std::max(b, p.y);
        }
        const float fixed[8] = {float(l), float(t), float(r), float(t),
                                float(r), float(b), float(l), float(b)};
        std::memcpy(box, fixed, sizeof fixed);
    }

    // 3g. start at the corner with the smallest x + y (the first one on ties)
    int start = 0;
    float best_sum = box[0] + box[1];
    for (int i = 1; i < 4; ++i) {
        const float s = box[2 * i] + box[2 * i + 1];
        if (s < best_sum) {
            best_sum = s;
            start = i;
        }
    }
    float rolled[8];
    for (int i = 0; i < 4; ++i) {
        rolled[2 * i] = box[2 * ((i + start) % 4)];
        rolled[2 * i + 1] = box[2 * ((i + start) % 4) + 1];
    }
    std::memcpy(box, rolled, sizeof rolled);
}

// The whole postprocess on two float32 maps of the same size.
// Returns false when a map contains NaN/inf (flags in `out`).
bool find_boxes(const cv::Mat& text, const cv::Mat& link, const Thresholds& thr,
                Method method, Outcome& out) {
    cv::Mat score;
    if (!binarise(text, link, thr, score, out)) return false;            // 1.

    cv::Mat labels, stats, centroids;                                    // 2.
    const int n_labels = cv::connectedComponentsWithStats(score, labels, stats, centroids, 4, CV_32S);

    Workspace ws;
    float box[8];
    for (int k = 1; k < n_labels; ++k) {                                 // 3.
        const int* st = stats.ptr<int>(k);
        Component cc;
        cc.k = k;
        const int area = st[cv::CC_STAT_AREA];
        if (area < 10) continue;                                         // 3a. size filter
        cc.x = st[cv::CC_STAT_LEFT];
        cc.y = st[cv::CC_STAT_TOP];
        cc.w = st[cv::CC_STAT_WIDTH];
        cc.h = st[cv::CC_STAT_HEIGHT];
        // niter = int(sqrt(area * min(w, h) / (w * h)) * 2), with 64-bit
        // products: area * min(w, h) overflows int32 on big maps
        const double fill = static_cast<double>(static_cast<int64_t>(area) * std::min(cc.w, cc.h)) /
                            static_cast<double>(static_cast<int64_t>(cc.w) * cc.h);
        cc.niter = static_cast<int>(std::sqrt(fill) * 2.0);
        // the region: the box widened by niter, far ends one pixel further, clipped
        cc.sx = std::max(cc.x - cc.niter, 0);
        cc.sy = std::max(cc.y - cc.niter, 0);
        cc.ex = std::min(cc.x + cc.w + cc.niter + 1, text.cols);
        cc.ey = std::min(cc.y + cc.h + cc.niter + 1, text.rows);

        const bool keep = method == Method::direct
                              ? points_direct(cc, labels, score, text, thr, ws)
                              : points_spans(cc, labels, score, text, thr, ws);
        if (!keep) continue;                                             // 3b. confidence filter
        box_from_points(ws.points, box);
        out.boxes.insert(out.boxes.end(), box, box + 8);
    }
    return true;
}

// ---------------------------------------------------------------------------
// Part 2. The Python side: argument checks (the same rules, exception types
// and order as textpost/validate.py), conversion, and the result array.
// ---------------------------------------------------------------------------

// Reads a threshold into *value.  Returns false with a Python exception set.
// `obj` is borrowed (may be NULL: the argument was not given -> `fallback`).
bool read_threshold(const char* name, PyObject* obj, double fallback, double* value) {
    if (obj == nullptr) {
        *value = fallback;
        return true;
    }
    // isinstance(obj, numbers.Real), as validate.py asks (int, float, Fraction,
    // NumPy's number scalars); bool is an int in Python, but a threshold of
    // True is a bug, not a number
    const int is_real = PyObject_IsInstance(obj, g_numbers_real);
    if (is_real < 0) return false;
    if (PyBool_Check(obj) || PyArray_IsScalar(obj, Bool) || !is_real) {
        PyErr_Format(PyExc_TypeError, "%s must be a real number, got %s (%R)", name,
                     Py_TYPE(obj)->tp_name, obj);
        return false;
    }
    const double v = PyFloat_AsDouble(obj);   // like float(value); may raise OverflowError
    if (v == -1.0 && PyErr_Occurred()) return false;
    if (!std::isfinite(v)) {
        PyObject* as_float = PyFloat_FromDouble(v);   // new reference, only for the message
        if (as_float == nullptr) return false;
        PyErr_Format(PyExc_ValueError, "%s must be a finite number, got %R", name, as_float);
        Py_DECREF(as_float);
        return false;
    }
    *value = v;
    return true;
}

// Raises ValueError("<name> ... got shape (..)") for an array `obj` (borrowed).
void raise_with_shape(const char* fmt, const char* name, PyObject* obj) {
    PyObject* shape = PyObject_GetAttrString(obj, "shape");   // new reference
    if (shape == nullptr) return;                               // that error stays set
    PyErr_Format(PyExc_ValueError, fmt, name, shape);
    Py_DECREF(shape);
}

// Checks one map and returns it as an aligned, C-contiguous float32 array:
// a NEW reference (the caller must Py_DECREF it), or NULL with an exception set.
// `obj` is borrowed.
PyArrayObject* as_float32_map(const char* name, PyObject* obj) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %s", name, Py_TYPE(obj)->tp_name);
        return nullptr;
    }
    PyArrayObject* arr = reinterpret_cast<PyArrayObject*>(obj);   // still borrowed
    const int type = PyArray_TYPE(arr);
    if (type != NPY_FLOAT32 && type != NPY_FLOAT64) {
        PyErr_Format(PyExc_TypeError,
                     "%s has dtype %S; expected float32 or float64 (convert with %s.astype(np.float32))",
                     name, reinterpret_cast<PyObject*>(PyArray_DESCR(arr)), name);
        return nullptr;
    }
    if (PyArray_NDIM(arr) != 2) {
        raise_with_shape("%s must be 2-D (height, width), got shape %S", name, obj);
        return nullptr;
    }
    if (PyArray_SIZE(arr) == 0) {
        raise_with_shape("%s is empty (shape %S); a score map needs at least one pixel", name, obj);
        return nullptr;
    }
    if (PyArray_DIM(arr, 0) > INT_MAX || PyArray_DIM(arr, 1) > INT_MAX) {
        raise_with_shape("%s is too large for OpenCV (shape %S)", name, obj);
        return nullptr;
    }

    // float64 values beyond the float32 range become inf in the conversion
    // (reported as non-finite later); silence NumPy's overflow warning for it,
    // as validate.py does, with `with numpy.errstate(over="ignore"):`.
    PyObject* errstate = nullptr;   // new reference while in use
    if (type == NPY_FLOAT64) {
        PyObject* kwargs = Py_BuildValue("{s:s}", "over", "ignore");
        if (kwargs == nullptr) return nullptr;
        PyObject* no_args = PyTuple_New(0);
        if (no_args == nullptr) {
            Py_DECREF(kwargs);
            return nullptr;
        }
        errstate = PyObject_Call(g_np_errstate, no_args, kwargs);
        Py_DECREF(no_args);
        Py_DECREF(kwargs);
        if (errstate == nullptr) return nullptr;
        PyObject* entered = PyObject_CallMethod(errstate, "__enter__", nullptr);
        if (entered == nullptr) {
            Py_DECREF(errstate);
            return nullptr;
        }
        Py_DECREF(entered);
    }

    // PyArray_FromAny *steals* the reference to the descriptor we pass, so we do
    // not Py_DECREF it ourselves.  NPY_ARRAY_FORCECAST allows float64 -> float32
    // (not a "safe" cast); ALIGNED | C_CONTIGUOUS asks for a layout that C can walk
    // with a plain pointer.  Already-conforming float32 input comes back as the
    // same object with one more reference: no copy.
    PyObject* converted = PyArray_FromAny(
        obj, PyArray_DescrFromType(NPY_FLOAT32), 2, 2,
        NPY_ARRAY_ALIGNED | NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_FORCECAST, nullptr);

    if (errstate != nullptr) {
        // leave the errstate block; keep a conversion error if there was one
        PyObject *etype, *evalue, *etb;
        PyErr_Fetch(&etype, &evalue, &etb);
        PyObject* exited = PyObject_CallMethod(errstate, "__exit__", "OOO", Py_None, Py_None, Py_None);
        Py_XDECREF(exited);
        Py_DECREF(errstate);
        if (etype != nullptr) {
            PyErr_Restore(etype, evalue, etb);   // the conversion's error wins
        } else if (exited == nullptr) {
            Py_XDECREF(converted);
            return nullptr;
        }
    }
    return reinterpret_cast<PyArrayObject*>(converted);
}

// Number of NaN/inf in a float32 C-contiguous array (error paths only).
size_t count_nonfinite(PyArrayObject* arr) {
    const float* p = static_cast<const float*>(PyArray_DATA(arr));
    const npy_intp n = PyArray_SIZE(arr);
    size_t bad = 0;
    for (npy_intp i = 0; i < n; ++i) bad += nonfinite_bit(p[i]);
    return bad;
}

void raise_nonfinite(const char* name, size_t count) {
    PyErr_Format(PyExc_ValueError,
                 "%s contains %zu non-finite value(s) (NaN or inf, or beyond the float32 range); "
                 "clean it first, e.g. np.nan_to_num(%s)",
                 name, count, name);
}

// validate.py checks textmap completely (finite values included) before it
// looks at linkmap, and both before their shapes.  When a later check fails we
// look for the earlier error first, so the same input raises the same error.
bool raise_earlier_nonfinite(PyArrayObject* text, PyArrayObject* link) {
    if (size_t bad = count_nonfinite(text)) {
        raise_nonfinite("textmap", bad);
        return true;
    }
    if (link != nullptr) {
        if (size_t bad = count_nonfinite(link)) {
            raise_nonfinite("linkmap", bad);
            return true;
        }
    }
    return false;
}

// A zero-copy cv::Mat over a C-contiguous float32 array.  The step is
// computed, not read from the array's strides: NumPy calls a (1, N) array
// C-contiguous whatever its first stride says, and that stride can be anything.
cv::Mat wrap(PyArrayObject* arr) {
    const int rows = static_cast<int>(PyArray_DIM(arr, 0));
    const int cols = static_cast<int>(PyArray_DIM(arr, 1));
    return cv::Mat(rows, cols, CV_32F, PyArray_DATA(arr));
}

// get_boxes and get_boxes_direct: check, convert, compute, return.
// Returns a new reference to the result array, or NULL with an exception set.
PyObject* get_boxes_with(Method method, const char* format, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"textmap", "linkmap", "text_threshold", "link_threshold",
                                     "low_text", nullptr};
    // All borrowed: the caller keeps the arguments alive for the whole call.
    PyObject *text_obj, *link_obj;
    PyObject *text_thr_obj = nullptr, *link_thr_obj = nullptr, *low_text_obj = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, const_cast<char**>(keywords),
                                     &text_obj, &link_obj, &text_thr_obj, &link_thr_obj, &low_text_obj))
        return nullptr;

    double text_thr, link_thr, low_text;
    if (!read_threshold("text_threshold", text_thr_obj, 0.7, &text_thr) ||
        !read_threshold("link_threshold", link_thr_obj, 0.4, &link_thr) ||
        !read_threshold("low_text", low_text_obj, 0.4, &low_text))
        return nullptr;

    PyArrayObject* text = as_float32_map("textmap", text_obj);   // new reference
    if (text == nullptr) return nullptr;
    PyArrayObject* link = as_float32_map("linkmap", link_obj);   // new reference
    if (link == nullptr) {
        if (PyErr_ExceptionMatches(PyExc_TypeError) || PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyObject *etype, *evalue, *etb;
            PyErr_Fetch(&etype, &evalue, &etb);   // we own these three now
            if (raise_earlier_nonfinite(text, nullptr)) {
                Py_XDECREF(etype);
                Py_XDECREF(evalue);
                Py_XDECREF(etb);
            } else {
                PyErr_Restore(etype, evalue, etb);   // gives the three back
            }
        }
        Py_DECREF(text);
        return nullptr;
    }
    if (PyArray_DIM(text, 0) != PyArray_DIM(link, 0) || PyArray_DIM(text, 1) != PyArray_DIM(link, 1)) {
        if (!raise_earlier_nonfinite(text, link)) {
            PyErr_Format(PyExc_ValueError,
                         "textmap and linkmap must have the same shape, got (%zd, %zd) and (%zd, %zd)",
                         static_cast<Py_ssize_t>(PyArray_DIM(text, 0)), static_cast<Py_ssize_t>(PyArray_DIM(text, 1)),
                         static_cast<Py_ssize_t>(PyArray_DIM(link, 0)), static_cast<Py_ssize_t>(PyArray_DIM(link, 1)));
        }
        Py_DECREF(text);
        Py_DECREF(link);
        return nullptr;
    }

    const Thresholds thr{to_float32(text_thr), to_float32(link_thr), to_float32(low_text)};
    Outcome outcome;
    bool finite = true;
    enum class Failure { none, opencv, memory, other } failure = Failure::none;
    char message[1024] = "";   // a fixed buffer: saving the message must not allocate (and throw)

    // --- no Python from here ... -------------------------------------------
    Py_BEGIN_ALLOW_THREADS
    try {
        const cv::Mat text_mat = wrap(text), link_mat = wrap(link);   // zero-copy views
        finite = find_boxes(text_mat, link_mat, thr, method, outcome);
    } catch (const cv::Exception& e) {   // OpenCV reports its errors as exceptions
        failure = e.code == cv::Error::StsNoMem ? Failure::memory : Failure::opencv;
        std::snprintf(message, sizeof message, "%s", e.what());
    } catch (const std::bad_alloc&) {
        failure = Failure::memory;
    } catch (const std::exception& e) {
        failure = Failure::other;
        std::snprintf(message, sizeof message, "%s", e.what());
    } catch (...) {   // a C++ exception must never reach Python's C code: that would abort
        failure = Failure::other;
        std::snprintf(message, sizeof message, "unknown C++ exception");
    }
    Py_END_ALLOW_THREADS
    // --- ... to here: the GIL is ours again ----------------------------------

    if (!finite) {   // count only now: the fast pass just noted that there are some
        if (!outcome.text_finite) raise_nonfinite("textmap", count_nonfinite(text));
        else raise_nonfinite("linkmap", count_nonfinite(link));
    }
    // The maps are not needed any more: give back our references.
    Py_DECREF(text);
    Py_DECREF(link);
    if (!finite) return nullptr;

    switch (failure) {
        case Failure::opencv:
            PyErr_Format(PyExc_RuntimeError, "OpenCV error: %s", message);
            return nullptr;
        case Failure::memory:
            return PyErr_NoMemory();
        case Failure::other:
            PyErr_Format(PyExc_RuntimeError, "C++ error: %s", message);
            return nullptr;
        case Failure::none:
            break;
    }
    // The result: a new (K, 4, 2) float32 array that owns its memory.
    npy_intp dims[3] = {static_cast<npy_intp>(outcome.boxes.size() / 8), 4, 2};
    PyObject* result = PyArray_SimpleNew(3, dims, NPY_FLOAT32);   // new reference, handed to the caller
    if (result == nullptr) return nullptr;
    if (!outcome.boxes.empty())
        std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)), outcome.boxes.data(),
                    outcome.boxes.size() * sizeof(float));
    return result;
}

const char kGetBoxesDoc[] =
    "get_boxes(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)\n"
    "--\n\n"
    "Word boxes from CRAFT's region (textmap) and affinity (linkmap) maps, computed in C++.\n"
    "Returns a (K, 4, 2) float32 array, the same boxes in the same order as\n"
    "textpost.levels.reference.get_boxes.  The GIL is released during the computation.";

PyObject* py_get_boxes(PyObject* /*module*/, PyObject* args, PyObject* kwargs) {
    return get_boxes_with(Method::spans, "OO|OOO:get_boxes", args, kwargs);
}

const char kGetBoxesDirectDoc[] =
    "get_boxes_direct(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)\n"
    "--\n\n"
    "Like get_boxes, but steps 3d-3e follow the reference one for one: per component,\n"
    "a mask image, cv::dilate, and every nonzero pixel to cv::minAreaRect.\n"
    "Same result, slower: kept to measure what the row-span method saves.";

PyObject* py_get_boxes_direct(PyObject* /*module*/, PyObject* args, PyObject* kwargs) {
    return get_boxes_with(Method::direct, "OO|OOO:get_boxes_direct", args, kwargs);
}

// The OpenCV this module links (the system's C++ library) is not the one inside
// the Python cv2 module: each has its own thread pool and its own setting.
PyObject* py_set_num_threads(PyObject* /*module*/, PyObject* arg) {
    const long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return nullptr;
    if (n > INT_MAX || n < INT_MIN) {
        PyErr_SetString(PyExc_OverflowError, "number of threads out of range");
        return nullptr;
    }
    try {   // a C++ exception must never cross into Python's C code
        cv::setNumThreads(static_cast<int>(n));
    } catch (const std::exception& e) {   // cv::Exception is a std::exception too
        PyErr_Format(PyExc_RuntimeError, "OpenCV error: %s", e.what());
        return nullptr;
    }
    Py_RETURN_NONE;
}

PyObject* py_get_num_threads(PyObject* /*module*/, PyObject* /*unused*/) {
    try {
        return PyLong_FromLong(cv::getNumThreads());
    } catch (const std::exception& e) {
        PyErr_Format(PyExc_RuntimeError, "OpenCV error: %s", e.what());
        return nullptr;
    }
}

PyObject* py_opencv_version(PyObject* /*module*/, PyObject* /*unused*/) {
    try {
        return PyUnicode_FromString(cv::getVersionString().c_str());
    } catch (const std::exception& e) {
        PyErr_Format(PyExc_RuntimeError, "OpenCV error: %s", e.what());
        return nullptr;
    }
}

// ---------------------------------------------------------------------------
// Part 3. The module: its function table and the init function Python calls
// on `import _textpost_cpp` (the name after PyInit_ must match the file name).
// ---------------------------------------------------------------------------

PyMethodDef kMethods[] = {
    {"get_boxes", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_get_boxes)),
     METH_VARARGS | METH_KEYWORDS, kGetBoxesDoc},
    {"get_boxes_direct", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_get_boxes_direct)),
     METH_VARARGS | METH_KEYWORDS, kGetBoxesDirectDoc},
    {"set_num_threads", py_set_num_threads, METH_O,
     "set_num_threads(n)\n--\n\nThreads used by this module's OpenCV (cv::setNumThreads)."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "get_num_threads()\n--\n\nThreads used by this module's OpenCV (cv::getNumThreads)."},
    {"opencv_version", py_opencv_version, METH_NOARGS,
     "opencv_version()\n--\n\nVersion of the OpenCV C++ library this module runs with."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {
    PyModuleDef_HEAD_INIT, "_textpost_cpp",
    "CRAFT's word-box postprocess in C++ (NumPy C API + OpenCV C++ API).", -1, kMethods,
    nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__textpost_cpp(void) {
    import_array();   // loads NumPy's C API table; returns NULL from here on failure

    PyObject* numbers = PyImport_ImportModule("numbers");   // new reference
    if (numbers == nullptr) return nullptr;
    g_numbers_real = PyObject_GetAttrString(numbers, "Real");   // new reference, kept
    Py_DECREF(numbers);
    if (g_numbers_real == nullptr) return nullptr;

    PyObject* numpy = PyImport_ImportModule("numpy");   // new reference
    if (numpy == nullptr) return nullptr;
    g_np_errstate = PyObject_GetAttrString(numpy, "errstate");   // new reference, kept
    Py_DECREF(numpy);
    if (g_np_errstate == nullptr) return nullptr;

    return PyModule_Create(&kModule);
}
