// _textpost_fused: CRAFT's word-box postprocess without OpenCV's labeling.
//
// The last rung of the ladder.  The cpp level calls cv::connectedComponentsWithStats
// (a pass to label, a pass for the statistics, a label image written and read
// again) and then reads every component's box once more.  Here everything
// before cv::minAreaRect happens in ONE pass over the two maps:
//
//   1. per row, threshold both maps into a small buffer and cut it into RUNS:
//      maximal stretches of union pixels (text or link).  Each run records what
//      the later steps need: its columns, the best textmap score over it, and
//      its first/last text pixel (the mask is "union minus link-only" = text);
//   2. a run touches a run of the row above when their columns overlap
//      (4-connectivity): union-find joins them into components;
//   3. a short pass over the runs (not the pixels) gives every component its
//      label, area, bounding box and best score, and its runs row by row;
//   4. per kept component, the dilated mask's first/last column per row from
//      those row spans, then cv::minAreaRect: the same points, in the same
//      order, as textpost_cpp.cpp's points_spans (see there why this is exact).
//
// Label order.  OpenCV numbers components in raster order of their first
// pixel.  Runs are created in raster order and numbered 0, 1, 2, ...; unite()
// always keeps the SMALLER number as the root, so a component's root is its
// first run, whose first pixel is the component's first pixel in raster order.
// Walking the runs in order and giving a new label at each root therefore
// numbers the components exactly as OpenCV does (tests compare labels and stats).
//
// The Python side (textpost/levels/fused_level.py) checks and converts the input with
// textpost.contract.check_inputs first; this module only accepts C-contiguous
// float32 maps of one shape and float thresholds, and computes without the GIL.

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

constexpr int kNone = INT_MAX;            // "no text pixel" in a run or a row
constexpr uint8_t kText = 1, kLink = 2;   // bits of the thresholded row buffer

struct Run {        // union pixels x0 .. x1-1 of one row
    int row, x0, x1;
    int m0, m1;     // first and last text (mask) pixel, or m0 = kNone
    float best;     // highest textmap score over the run
};

struct Component {  // what cv::connectedComponentsWithStats gives, plus the best score
    int left = INT_MAX, top = INT_MAX, right = -1, bottom = -1, area = 0;
    float best = -std::numeric_limits<float>::infinity();
    int span = -1;                   // kept: its rows' spans start at first[span], last[span]
};

// Everything one call needs.  find_boxes keeps one per thread and reuses it:
// after the first page, a call allocates (and page-faults) almost nothing.
struct Labeling {
    std::vector<uint8_t> code;       // one thresholded row, + 8 zero bytes of padding
    std::vector<int> parent;         // union-find over runs
    std::vector<Run> runs;
    std::vector<int> label;          // run -> component label (1, 2, ...)
    std::vector<Component> comps;    // index = label; comps[0] is unused (background)
    std::vector<int> first, last;    // kept components: the mask's first/last column per row
    std::vector<cv::Point> points;   // one component's points for minAreaRect ...
    std::vector<cv::Point2f> fpoints;   // ... as floats (see box_from_points)
};

int find(std::vector<int>& parent, int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];   // path halving
    return i;
}

void unite(std::vector<int>& parent, int a, int b) {
    a = find(parent, a), b = find(parent, b);
    if (a < b) parent[b] = a;        // the smaller run number stays the root:
    else if (b < a) parent[a] = b;   // the root is the component's first run
}

// Steps 1-3: runs, union-find, labels and statistics, from one read of the maps.
void label_runs(const float* text, const float* link, int rows, int cols,
                float low, float link_thr, Labeling& lab) {
    lab.code.assign(cols + 8, 0);
    std::vector<int>& parent = lab.parent;
    parent.clear(), lab.runs.clear();
    int prev_begin = 0, prev_end = 0;         // the previous row's runs
    for (int r = 0; r < rows; ++r) {
        const float *t = text + static_cast<size_t>(r) * cols, *l = link + static_cast<size_t>(r) * cols;
        uint8_t* s = lab.code.data();
        for (int c = 0; c < cols; ++c)        // no branches: the compiler vectorises it
            s[c] = static_cast<uint8_t>((t[c] > low ? kText : 0) | (l[c] > link_thr ? kLink : 0));
        const int begin = static_cast<int>(lab.runs.size());
        for (int c = 0; c < cols;) {
            uint64_t eight;
            std::memcpy(&eight, s + c, 8);    // skip background 8 pixels at a time
            if (eight == 0) { c += 8; continue; }
            if (s[c] == 0) { ++c; continue; }
            int e = c + 1;
            while (s[e]) ++e;                 // the run ends at the first 0 (the padding stops it)
            Run run{r, c, e, kNone, kNone, t[c]};
            for (int k = c + 1; k < e; ++k) run.best = std::max(run.best, t[k]);
            int m0 = c, m1 = e - 1;           // first and last text pixel, if any
            while (m0 < e && !(s[m0] & kText)) ++m0;
            while (m1 > m0 && !(s[m1] & kText)) --m1;
            if (m0 < e) run.m0 = m0, run.m1 = m1;
            c = e;
            parent.push_back(static_cast<int>(lab.runs.size()));
            lab.runs.push_back(run);
        }
        const int end = static_cast<int>(lab.runs.size());
        // join the runs that overlap a run of the row above (two sorted lists)
        for (int i = prev_begin, j = begin; i < prev_end && j < end;) {
            const Run &a = lab.runs[i], &b = lab.runs[j];
            if (a.x1 <= b.x0) { ++i; continue; }
            if (b.x1 <= a.x0) { ++j; continue; }
            unite(parent, i, j);
            if (a.x1 < b.x1) ++i; else ++j;   // the one that ends first is done
        }
        prev_begin = begin, prev_end = end;
    }

    // labels in order of the roots, then each component's statistics
    const int n_runs = static_cast<int>(lab.runs.size());
    lab.label.assign(n_runs, 0);
    lab.comps.assign(1, Component());
    for (int i = 0; i < n_runs; ++i) {
        const int root = find(parent, i);
        if (root == i) lab.comps.emplace_back();   // a new label at each root, in run order
        lab.label[i] = root == i ? static_cast<int>(lab.comps.size()) - 1 : lab.label[root];   // root < i
        const Run& run = lab.runs[i];
        Component& cc = lab.comps[lab.label[i]];
        cc.left = std::min(cc.left, run.x0), cc.right = std::max(cc.right, run.x1 - 1);
        cc.top = std::min(cc.top, run.row), cc.bottom = std::max(cc.bottom, run.row);
        cc.area += run.x1 - run.x0;
        cc.best = std::max(cc.best, run.best);
    }
}

// The mask's first and last column in each row of every component that passes
// the size and confidence filters: one more pass over the runs, in order (a
// pass per component, gathering its runs, would jump around in memory).
void row_spans(Labeling& lab, float text_thr) {
    int offset = 0;
    for (Component& cc : lab.comps) {
        const bool keep = cc.area >= 10 && !(cc.best < text_thr);   // comps[0] has area 0
        cc.span = keep ? offset : -1;
        if (keep) offset += cc.bottom - cc.top + 1;
    }
    lab.first.assign(offset, kNone);
    lab.last.assign(offset, -1);
    for (size_t i = 0; i < lab.runs.size(); ++i) {
        const Run& run = lab.runs[i];
        const Component& cc = lab.comps[lab.label[i]];
        if (cc.span < 0 || run.m0 == kNone) continue;
        const int j = cc.span + run.row - cc.top;
        lab.first[j] = std::min(lab.first[j], run.m0);
        lab.last[j] = std::max(lab.last[j], run.m1);
    }
}

// Step 4 for one component: the points of its dilated mask that matter to
// cv::minAreaRect (first and last pixel of each row), as in textpost_cpp.cpp.
void component_points(const Component& cc, int rows, int cols, Labeling& lab) {
    const int x = cc.left, y = cc.top, w = cc.right - cc.left + 1, h = cc.bottom - cc.top + 1;
    // niter = int(sqrt(area * min(w, h) / (w * h)) * 2), 64-bit products
    const double fill = static_cast<double>(static_cast<int64_t>(cc.area) * std::min(w, h)) /
                        static_cast<double>(static_cast<int64_t>(w) * h);
    const int niter = static_cast<int>(std::sqrt(fill) * 2.0);
    const int sx = std::max(x - niter, 0), ex = std::min(x + w + niter + 1, cols);
    const int sy = std::max(y - niter, 0), ey = std::min(y + h + niter + 1, rows);

    const int *first = &lab.first[cc.span], *last = &lab.last[cc.span];   // row y + i: first[i] .. last[i]
    // dilation by a (1 + niter) square, centred anchor: each row's extremes
    const int ksize = 1 + niter, anchor = ksize / 2;
    std::vector<cv::Point>& points = lab.points;
    points.clear();
    for (int row = sy; row < ey; ++row) {
        const int from = std::max(row - anchor, y) - y;
        const int to = std::min(row - anchor + ksize - 1, y + h - 1) - y;
        int lo = kNone, hi = -1;   // (a row without mask pixels has kNone, -1)
        for (int i = from; i <= to; ++i) {
            lo = std::min(lo, first[i]);
            hi = std::max(hi, last[i]);
        }
        if (lo == kNone) continue;   // no mask pixel under the kernel: an empty row
        lo = std::max(lo + anchor - (ksize - 1), sx);
        hi = std::min(hi + anchor, ex - 1);
        points.emplace_back(lo, row);
        if (hi != lo) points.emplace_back(hi, row);
    }
}

// The box around the points: minAreaRect, the "diamond" fix, the corner order
// (float32 arithmetic as in NumPy; textpost.build compiles with -ffp-contract=off).
// The points go in row order like the reference's: between two rectangles of equal
// area, minAreaRect's choice depends on the input order (only the hull's corners
// changed some boxes: the tests caught it).  They go in as floats: minAreaRect
// converts its integer hull to float anyway (a copy), and for pixel coordinates
// the float hull is exact, so the same (about 15% less time per box).
void box_from_points(const std::vector<cv::Point>& points, std::vector<cv::Point2f>& fpoints, float box[8]) {
    cv::RotatedRect rect;   // minAreaRect of no points: the default ((0, 0), (0, 0), 0)
    fpoints.assign(points.begin(), points.end());
    if (!points.empty()) rect = cv::minAreaRect(fpoints);
    cv::Mat corners(4, 2, CV_32F, box);
    cv::boxPoints(rect, corners);
    const float d0x = box[0] - box[2], d0y = box[1] - box[3];
    const float d1x = box[2] - box[4], d1y = box[3] - box[5];
    const float bw = std::sqrt(d0x * d0x + d0y * d0y), bh = std::sqrt(d1x * d1x + d1y * d1y);
    const float ratio = (bh > bw ? bh : bw) / ((bh < bw ? bh : bw) + static_cast<float>(1e-5));
    if (std::fabs(1.0f - ratio) <= static_cast<float>(0.1) && !points.empty()) {
        int l = points[0].x, r = l, t = points[0].y, b = t;
        for (const cv::Point& p : points) {
            l = std::min(l, p.x), r = std::max(r, p.x);
            t = std::min(t, p.y), b = std::max(b, p.y);
        }
        const float fixed[8] = {float(l), float(t), float(r), float(t), float(r), float(b), float(l), float(b)};
        std::memcpy(box, fixed, sizeof fixed);
    }
    int start = 0;   // the corner with the smallest x + y first (the first one on ties)
    for (int i = 1; i < 4; ++i)
        if (box[2 * i] + box[2 * i + 1] < box[2 * start] + box[2 * start + 1]) start = i;
    float rolled[8];
    for (int i = 0; i < 8; ++i) rolled[i] = box[(2 * start + i) % 8];
    std::memcpy(box, rolled, sizeof rolled);
}

void find_boxes(const float* text, const float* link, int rows, int cols, float text_thr,
                float link_thr, float low, std::vector<float>& boxes) {
    thread_local Labeling workspace;   // one per thread: concurrent calls never share it
    Labeling& lab = workspace;
    label_runs(text, link, rows, cols, low, link_thr, lab);
    row_spans(lab, text_thr);
    float box[8];
    for (size_t k = 1; k < lab.comps.size(); ++k) {
        const Component& cc = lab.comps[k];
        if (cc.span < 0) continue;   // dropped by the size or confidence filter
        component_points(cc, rows, cols, lab);
        box_from_points(lab.points, lab.fpoints, box);
        boxes.insert(boxes.end(), box, box + 8);
    }
}

// ----------------------------------------------------------------- Python side

// double -> float32, round to nearest; beyond the float32 range -> +-inf.
float to_float32(double v) {
    constexpr double kOverflow = 0x1.ffffffp+127;
    if (v >= kOverflow) return std::numeric_limits<float>::infinity();
    if (v <= -kOverflow) return -std::numeric_limits<float>::infinity();
    return static_cast<float>(v);
}

// The two maps, borrowed; false with a TypeError/ValueError when they are not
// what fused_level.py hands over (C-contiguous aligned float32, 2-D, one shape).
bool check_maps(PyArrayObject* t, PyArrayObject* l) {
    for (PyArrayObject* a : {t, l}) {
        if (PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_ISCARRAY_RO(a) || PyArray_ISBYTESWAPPED(a)) {
            PyErr_SetString(PyExc_TypeError, "maps must be C-contiguous native float32 arrays; "
                            "call textpost.levels.fused_level.get_boxes_fused, which checks and converts");
            return false;
        }
        if (PyArray_NDIM(a) != 2 || PyArray_SIZE(a) == 0 || PyArray_DIM(a, 0) > INT_MAX ||
            PyArray_DIM(a, 1) > INT_MAX - 8) {
            PyErr_SetString(PyExc_ValueError, "maps must be 2-D and non-empty");
            return false;
        }
    }
    if (PyArray_DIM(t, 0) == PyArray_DIM(l, 0) && PyArray_DIM(t, 1) == PyArray_DIM(l, 1)) return true;
    PyErr_SetString(PyExc_ValueError, "textmap and linkmap must have the same shape");
    return false;
}

PyObject* py_get_boxes(PyObject*, PyObject* args) {
    PyArrayObject *t, *l;   // borrowed: the caller keeps them alive during the call
    double text_thr, link_thr, low_text;
    if (!PyArg_ParseTuple(args, "O!O!ddd:get_boxes", &PyArray_Type, &t, &PyArray_Type, &l,
                          &text_thr, &link_thr, &low_text) || !check_maps(t, l))
        return nullptr;
    const int rows = static_cast<int>(PyArray_DIM(t, 0)), cols = static_cast<int>(PyArray_DIM(t, 1));
    const auto *text = static_cast<const float*>(PyArray_DATA(t)), *link = static_cast<const float*>(PyArray_DATA(l));
    std::vector<float> boxes;
    char error[512] = "";
    Py_BEGIN_ALLOW_THREADS   // no Python API from here ...
    try {
        find_boxes(text, link, rows, cols, to_float32(text_thr), to_float32(link_thr),
                   to_float32(low_text), boxes);
    } catch (const std::exception& e) {   // bad_alloc, cv::Exception: never let one reach Python's C code
        std::snprintf(error, sizeof error, "%s", e.what()[0] ? e.what() : "C++ exception");
    }
    Py_END_ALLOW_THREADS     // ... to here
    if (error[0]) return PyErr_Format(PyExc_RuntimeError, "fused level failed: %s", error);
    npy_intp dims[3] = {static_cast<npy_intp>(boxes.size() / 8), 4, 2};
    PyObject* result = PyArray_SimpleNew(3, dims, NPY_FLOAT32);   // new reference
    if (result != nullptr && !boxes.empty())
        std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)), boxes.data(),
                    boxes.size() * sizeof(float));
    return result;
}

// components(textmap, linkmap, link_threshold, low_text) -> (labels, stats, best):
// the labeling alone, laid out like cv2.connectedComponentsWithStats (int32 label
// image; stats rows left, top, width, height, area of labels 1..n-1) plus each
// label's best textmap score.  For tests and the notebook, not for speed.
PyObject* py_components(PyObject*, PyObject* args) {
    PyArrayObject *t, *l;
    double link_thr, low_text;
    if (!PyArg_ParseTuple(args, "O!O!dd:components", &PyArray_Type, &t, &PyArray_Type, &l,
                          &link_thr, &low_text) || !check_maps(t, l))
        return nullptr;
    Labeling lab;
    try {
        label_runs(static_cast<const float*>(PyArray_DATA(t)), static_cast<const float*>(PyArray_DATA(l)),
                   static_cast<int>(PyArray_DIM(t, 0)), static_cast<int>(PyArray_DIM(t, 1)),
                   to_float32(low_text), to_float32(link_thr), lab);
    } catch (const std::exception& e) {
        return PyErr_Format(PyExc_RuntimeError, "fused labeling failed: %s", e.what());
    }
    npy_intp n = static_cast<npy_intp>(lab.comps.size()) - 1, stats_dims[2] = {n, 5};
    auto* labels = reinterpret_cast<PyArrayObject*>(PyArray_ZEROS(2, PyArray_DIMS(t), NPY_INT32, 0));
    auto* stats = reinterpret_cast<PyArrayObject*>(PyArray_SimpleNew(2, stats_dims, NPY_INT32));
    auto* best = reinterpret_cast<PyArrayObject*>(PyArray_SimpleNew(1, &n, NPY_FLOAT32));
    if (labels == nullptr || stats == nullptr || best == nullptr) {
        Py_XDECREF(labels), Py_XDECREF(stats), Py_XDECREF(best);
        return nullptr;
    }
    for (size_t i = 0; i < lab.runs.size(); ++i)
        for (int c = lab.runs[i].x0; c < lab.runs[i].x1; ++c)
            *static_cast<int32_t*>(PyArray_GETPTR2(labels, lab.runs[i].row, c)) = lab.label[i];
    for (npy_intp k = 0; k < n; ++k) {
        const Component& cc = lab.comps[k + 1];
        const int32_t row[5] = {cc.left, cc.top, cc.right - cc.left + 1, cc.bottom - cc.top + 1, cc.area};
        std::memcpy(PyArray_GETPTR2(stats, k, 0), row, sizeof row);
        *static_cast<float*>(PyArray_GETPTR1(best, k)) = cc.best;
    }
    return Py_BuildValue("NNN", labels, stats, best);   // N: hands our references over
}

PyMethodDef kMethods[] = {
    {"get_boxes", py_get_boxes, METH_VARARGS,
     "get_boxes(textmap, linkmap, text_threshold, link_threshold, low_text)\n--\n\n"
     "Word boxes in one pass over the maps (checked float32 maps; releases the GIL)."},
    {"components", py_components, METH_VARARGS,
     "components(textmap, linkmap, link_threshold, low_text)\n--\n\n"
     "(labels, stats[1:], best score per label), laid out like cv2.connectedComponentsWithStats."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_textpost_fused",
                       "CRAFT's postprocess with its own run-based labeling.", -1, kMethods,
                       nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__textpost_fused(void) {
    import_array();
    return PyModule_Create(&kModule);
}
