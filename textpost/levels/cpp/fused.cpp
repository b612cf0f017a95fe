// _textpost_fused: CRAFT's word-box postprocess without OpenCV's labeling.
//
// The last rung of the ladder.  The cpp level calls cv::connectedComponentsWithStats
// (a pass to label, a pass for the statistics, a label image written and read
// again) and then reads every component's box once more.  Here everything up to
// the rectangles happens in ONE pass over the two maps, and OpenCV is not called:
//
//   1. per row, threshold both maps into bit sets (row_bits.hpp) and cut them into RUNS:
//      maximal stretches of union pixels (text or link).  Each run records what
//      the later steps need: its columns, whether some pixel reaches
//      text_threshold, and its first/last text pixel (the mask is "union minus
//      link-only" = text).  The same read notes any NaN or inf;
//   2. a run touches a run of the row above when their columns overlap
//      (4-connectivity): union-find joins them into components;
//   3. a short pass over the runs (not the pixels) gives every component its
//      label, area, bounding box and "reaches text_threshold", and its runs row by row;
//   4. per kept component, the dilated mask's first/last column per row from
//      those row spans: the same points, in the same order, as textpost_cpp.cpp's
//      points_spans (see there why this is exact); then our own minimum-area
//      rectangle (min_area_rect.hpp), bit for bit cv::minAreaRect's, and the
//      diamond fix and corner order (box_finish.hpp).
//
// Label order.  OpenCV numbers components in raster order of their first
// pixel.  Runs are created in raster order and numbered 0, 1, 2, ...; the
// union-find always keeps the SMALLER number as the root, so a component's root
// is its first run, whose first pixel is the component's first pixel in raster
// order.  Walking the runs in order and giving a new label at each root therefore
// numbers the components exactly as OpenCV does (tests compare labels and stats).
//
// The Python side (textpost/levels/fused_level.py) checks and converts the input with
// textpost.contract.check_inputs first, all but the scan for NaN and inf, which this
// pass does on its way (a ValueError here; the Python side then raises the contract's
// own message).  This module only accepts C-contiguous float32 maps of one shape and
// float thresholds, and computes without the GIL.

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "box_finish.hpp"      // region_of, dilated_row_extremes, finish_box (shared with the cpp level)
#include "min_area_rect.hpp"   // RectFit: our own minimum-area rectangle
#include "rect_batch.hpp"      // rect_boxes, for the tests
#include "row_bits.hpp"        // threshold_bits, next_one, next_zero, prev_one: one row as bit sets

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

constexpr int kNone = kNoPixel;           // "no text pixel" in a run or a row (box_finish.hpp)

struct Run {        // union pixels x0 .. x1-1 of one row
    int row, x0, x1;
    int m0, m1;     // first and last text (mask) pixel, or m0 = kNone
    bool strong;    // some pixel of the run reaches text_threshold
};

struct Component {  // what cv::connectedComponentsWithStats gives, plus "reaches text_threshold"
    int left = INT_MAX, top = INT_MAX, right = -1, bottom = -1, area = 0;
    bool strong = false;
    int span = -1;                   // kept: its rows' spans start at first[span], last[span]
};

// Everything one call needs.  find_boxes keeps one per thread and reuses it:
// after the first page, a call allocates (and page-faults) almost nothing.
struct Labeling {
    std::vector<uint64_t> bits;      // one thresholded row as bit sets (see label_runs)
    std::vector<int> parent;         // union-find over runs
    std::vector<Run> runs;
    std::vector<int> label;          // run -> component label (1, 2, ...)
    std::vector<Component> comps;    // index = label; comps[0] is unused (background)
    std::vector<int> first, last;    // kept components: the mask's first/last column per row
    std::vector<Pt> points;          // one component's points, raster order
    RectFit fit;                     // the rectangle's own buffers
    std::vector<float> boxes;        // 8 floats per box, copied into the result array
};

// One per thread: concurrent calls never share it, and after the first page a call
// allocates (and page-faults) almost nothing: the vectors keep their capacity.
Labeling& workspace() {
    thread_local Labeling lab;
    return lab;
}

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
// False when a map holds a value that is not finite (the result is then meaningless).
bool label_runs(const float* text, const float* link, int rows, int cols, float low,
                float link_thr, float text_thr, Labeling& lab) {
    const int words = (cols + 63) / 64;
    lab.bits.assign(4 * (words + 1), 0);        // union, text, strong, link: words + a zero word each
    uint64_t *all = lab.bits.data(), *mask = all + words + 1, *strong = mask + words + 1;
    uint64_t* link_bits = strong + words + 1;
    std::vector<int>& parent = lab.parent;
    parent.clear(), lab.runs.clear();
    bool bad = false;
    int prev_begin = 0, prev_end = 0;         // the previous row's runs
    for (int r = 0; r < rows; ++r) {
        const size_t at = static_cast<size_t>(r) * cols;
        bad |= threshold_bits(text + at, link + at, cols, low, link_thr, text_thr, mask, link_bits, strong);
        for (int w = 0; w < words; ++w) all[w] = mask[w] | link_bits[w];
        // the runs: stretches of 1s in the union; their first/last text pixel; a strong pixel in them?
        const int begin = static_cast<int>(lab.runs.size());
        for (int c = next_one(all, words, 0), e; c < cols; c = next_one(all, words, e)) {
            e = next_zero(all, c);
            const int m0 = next_one(mask, words, c);
            const bool has_text = m0 < e;
            lab.runs.push_back(Run{r, c, e, has_text ? m0 : kNone, has_text ? prev_one(mask, e - 1) : kNone,
                                   next_one(strong, words, c) < e});
            parent.push_back(static_cast<int>(lab.runs.size()) - 1);
        }
        const int end = static_cast<int>(lab.runs.size());
        // join the runs that overlap a run of the row above (two sorted lists)
        for (int i = prev_begin, j = begin; i < prev_end && j < end;) {
            const Run &a = lab.runs[i], &b = lab.runs[j];
            if (a.x1 <= b.x0) { ++i; continue; }
            if (b.x1 <= a.x0) { ++j; continue; }
            if (parent[j] == j) parent[j] = find(parent, i);   // j's first overlap: join i's set
            else unite(parent, i, j);
            if (a.x1 < b.x1) ++i; else ++j;   // the one that ends first is done
        }
        prev_begin = begin, prev_end = end;
    }

    // labels in order of the roots, then each component's statistics
    const int n_runs = static_cast<int>(lab.runs.size());
    lab.label.assign(n_runs, 0);
    lab.comps.assign(1, Component());
    for (int i = 0; i < n_runs; ++i) {
        // parent[i] <= i always, and run parent[i] already has its set's label: no find() needed
        if (parent[i] == i) lab.comps.emplace_back();   // a new label at each root, in run order
        lab.label[i] = parent[i] == i ? static_cast<int>(lab.comps.size()) - 1 : lab.label[parent[i]];
        const Run& run = lab.runs[i];
        Component& cc = lab.comps[lab.label[i]];
        cc.left = std::min(cc.left, run.x0), cc.right = std::max(cc.right, run.x1 - 1);
        cc.top = std::min(cc.top, run.row), cc.bottom = std::max(cc.bottom, run.row);
        cc.area += run.x1 - run.x0;
        cc.strong |= run.strong;
    }
    return !bad;
}

// The mask's first and last column in each row of every component that passes
// the size and confidence filters: one more pass over the runs, in order (a
// pass per component, gathering its runs, would jump around in memory).
void row_spans(Labeling& lab) {
    int offset = 0;
    for (Component& cc : lab.comps) {
        const bool keep = cc.area >= 10 && cc.strong;   // comps[0] has area 0
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

// Step 4 for one component: the points of its dilated mask that matter to the rectangle
// (first and last pixel of each row, in raster order) into lab.points, from the rows'
// spans as in textpost_cpp.cpp's points_spans (see there why this is exact).
void component_points(const Component& cc, int rows, int cols, Labeling& lab) {
    const Region r = region_of(cc.left, cc.top, cc.right - cc.left + 1, cc.bottom - cc.top + 1, cc.area, rows, cols);
    dilated_row_extremes(r, &lab.first[cc.span], &lab.last[cc.span], lab.points);
}

// ... and its box into `box` (8 floats): our own rectangle (min_area_rect.hpp), bit for
// bit cv::minAreaRect's, then the diamond fix and the corner order (box_finish.hpp).
void component_box(const Component& cc, int rows, int cols, Labeling& lab, float box[8]) {
    component_points(cc, rows, cols, lab);
    const int n = static_cast<int>(lab.points.size());
    lab.fit.box(lab.points.data(), n, box);
    int left = INT_MAX, right = -1;   // the points' upright bounding box, for the diamond fix
    for (const Pt& p : lab.points) left = std::min(left, p.x), right = std::max(right, p.x);
    if (n == 0) return finish_box(box, 0, 0, 0, 0, false);
    finish_box(box, left, lab.points.front().y, right, lab.points.back().y);
}

// False (and no boxes) when a map holds a value that is not finite.
bool find_boxes(const float* text, const float* link, int rows, int cols, float text_thr,
                float link_thr, float low, Labeling& lab) {
    lab.boxes.clear();
    if (!label_runs(text, link, rows, cols, low, link_thr, text_thr, lab)) return false;
    row_spans(lab);
    float box[8];
    for (size_t k = 1; k < lab.comps.size(); ++k) {
        const Component& cc = lab.comps[k];
        if (cc.span < 0) continue;   // dropped by the size or confidence filter
        component_box(cc, rows, cols, lab, box);
        lab.boxes.insert(lab.boxes.end(), box, box + 8);
    }
    return true;
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
    Labeling& lab = workspace();   // this thread's
    const std::vector<float>& boxes = lab.boxes;
    char error[512] = "";
    bool finite = true;
    Py_BEGIN_ALLOW_THREADS   // no Python API from here ...
    try {
        finite = find_boxes(text, link, rows, cols, to_float32(text_thr), to_float32(link_thr),
                            to_float32(low_text), lab);
    } catch (const std::exception& e) {   // bad_alloc, cv::Exception: never let one reach Python's C code
        std::snprintf(error, sizeof error, "%s", e.what()[0] ? e.what() : "C++ exception");
    }
    Py_END_ALLOW_THREADS     // ... to here
    if (error[0]) return PyErr_Format(PyExc_RuntimeError, "fused level failed: %s", error);
    if (!finite)   // what only this pass sees: the Python side then names the map and the count
        return PyErr_Format(PyExc_ValueError, "a map holds NaN or inf; clean it first, e.g. np.nan_to_num");
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
    const auto* text = static_cast<const float*>(PyArray_DATA(t));
    const int cols = static_cast<int>(PyArray_DIM(t, 1));
    try {
        if (!label_runs(text, static_cast<const float*>(PyArray_DATA(l)), static_cast<int>(PyArray_DIM(t, 0)),
                        cols, to_float32(low_text), to_float32(link_thr), 0.0f, lab))
            return PyErr_Format(PyExc_ValueError, "a map holds NaN or inf; clean it first, e.g. np.nan_to_num");
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
    auto* best_of = static_cast<float*>(PyArray_DATA(best));   // label k + 1 -> best_of[k]
    std::fill(best_of, best_of + n, -std::numeric_limits<float>::infinity());
    for (size_t i = 0; i < lab.runs.size(); ++i) {
        const Run& run = lab.runs[i];
        for (int c = run.x0; c < run.x1; ++c) {
            *static_cast<int32_t*>(PyArray_GETPTR2(labels, run.row, c)) = lab.label[i];
            best_of[lab.label[i] - 1] = std::max(best_of[lab.label[i] - 1], text[static_cast<size_t>(run.row) * cols + c]);
        }
    }
    for (npy_intp k = 0; k < n; ++k) {
        const Component& cc = lab.comps[k + 1];
        const int32_t row[5] = {cc.left, cc.top, cc.right - cc.left + 1, cc.bottom - cc.top + 1, cc.area};
        std::memcpy(PyArray_GETPTR2(stats, k, 0), row, sizeof row);
    }
    return Py_BuildValue("NNN", labels, stats, best);   // N: hands our references over
}

// component_points(textmap, linkmap, text_threshold, link_threshold, low_text) -> (points, starts):
// the point sets the level hands to its rectangle, one per kept component, in label order
// (the layout of rect_boxes' arguments).  For the tests.
PyObject* py_component_points(PyObject*, PyObject* args) {
    PyArrayObject *t, *l;
    double text_thr, link_thr, low_text;
    if (!PyArg_ParseTuple(args, "O!O!ddd:component_points", &PyArray_Type, &t, &PyArray_Type, &l,
                          &text_thr, &link_thr, &low_text) || !check_maps(t, l))
        return nullptr;
    const int rows = static_cast<int>(PyArray_DIM(t, 0)), cols = static_cast<int>(PyArray_DIM(t, 1));
    Labeling lab;
    std::vector<Pt> points;
    std::vector<int64_t> starts(1, 0);
    try {
        if (!label_runs(static_cast<const float*>(PyArray_DATA(t)), static_cast<const float*>(PyArray_DATA(l)), rows,
                        cols, to_float32(low_text), to_float32(link_thr), to_float32(text_thr), lab))
            return PyErr_Format(PyExc_ValueError, "a map holds NaN or inf; clean it first, e.g. np.nan_to_num");
        row_spans(lab);
        for (size_t k = 1; k < lab.comps.size(); ++k) {
            if (lab.comps[k].span < 0) continue;
            component_points(lab.comps[k], rows, cols, lab);
            points.insert(points.end(), lab.points.begin(), lab.points.end());
            starts.push_back(static_cast<int64_t>(points.size()));
        }
    } catch (const std::exception& e) {
        return PyErr_Format(PyExc_RuntimeError, "fused labeling failed: %s", e.what());
    }
    npy_intp pdims[2] = {static_cast<npy_intp>(points.size()), 2}, sdim = static_cast<npy_intp>(starts.size());
    PyObject* p = PyArray_SimpleNew(2, pdims, NPY_INT32);
    PyObject* st = PyArray_SimpleNew(1, &sdim, NPY_INT64);
    if (p == nullptr || st == nullptr) {
        Py_XDECREF(p), Py_XDECREF(st);
        return nullptr;
    }
    if (!points.empty()) std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(p)), points.data(), points.size() * sizeof(Pt));
    std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(st)), starts.data(), starts.size() * sizeof(int64_t));
    return Py_BuildValue("NN", p, st);
}

// rect_boxes(points, starts): our own rectangle of many point sets (rect_batch.hpp), for the tests.
PyObject* py_rect_boxes(PyObject*, PyObject* args) {
    return rect_boxes_with(args, [](const int* xy, int n, float box[8]) {
        workspace().fit.box(reinterpret_cast<const Pt*>(xy), n, box);
    });
}

// workspace_bytes(): what this thread's workspace holds (capacities), to see it stop growing.
PyObject* py_workspace_bytes(PyObject*, PyObject*) {
    const Labeling& lab = workspace();
    const size_t bytes = 8 * lab.bits.capacity() + 4 * lab.parent.capacity() +
                         sizeof(Run) * lab.runs.capacity() + 4 * lab.label.capacity() +
                         sizeof(Component) * lab.comps.capacity() + 4 * (lab.first.capacity() + lab.last.capacity()) +
                         sizeof(Pt) * lab.points.capacity() + lab.fit.bytes() + 4 * lab.boxes.capacity();
    return PyLong_FromSize_t(bytes);
}

PyMethodDef kMethods[] = {
    {"get_boxes", py_get_boxes, METH_VARARGS,
     "get_boxes(textmap, linkmap, text_threshold, link_threshold, low_text)\n--\n\n"
     "Word boxes in one pass over the maps (checked float32 maps; releases the GIL)."},
    {"components", py_components, METH_VARARGS,
     "components(textmap, linkmap, link_threshold, low_text)\n--\n\n"
     "(labels, stats[1:], best score per label), laid out like cv2.connectedComponentsWithStats."},
    {"component_points", py_component_points, METH_VARARGS,
     "component_points(textmap, linkmap, text_threshold, link_threshold, low_text)\n--\n\n"
     "(points, starts): each kept component's points for the rectangle (for tests)."},
    {"rect_boxes", py_rect_boxes, METH_VARARGS, "rect_boxes(points, starts)\n--\n\n"
     "Our own minAreaRect + boxPoints of each set points[starts[k]:starts[k+1]] (for tests)."},
    {"workspace_bytes", py_workspace_bytes, METH_NOARGS, "workspace_bytes()\n--\n\n"
     "Bytes held by the calling thread's reused buffers."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_textpost_fused",
                       "CRAFT's postprocess with its own run-based labeling.", -1, kMethods,
                       nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__textpost_fused(void) {
    import_array();
    return PyModule_Create(&kModule);
}
