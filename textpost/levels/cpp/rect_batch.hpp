// rect_batch.hpp: rect_boxes(points, starts), the entry point the tests use to compare
// minimum-area rectangles in bulk (a million point sets in seconds, one Python call).
//
//   points  int32 array (N, 2) of (x, y), C-contiguous: every set, one after the other
//   starts  int64 array (K + 1,): set k is points[starts[k] : starts[k + 1]]
//   ->      float32 array (K, 4, 2): each set's 4 corners, as cv2.boxPoints(cv2.minAreaRect(set))
//
// Each module passes the rectangle it means: the fused level its own (min_area_rect.hpp),
// the cpp level cv::minAreaRect (the oracle).  Include after Python.h and numpy/arrayobject.h.
#pragma once

#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>

// fit(const int* xy, int n, float box[8]): the rectangle of the n points xy[0 .. 2n-1].
template <class Fit>
PyObject* rect_boxes_with(PyObject* args, Fit fit) {
    PyArrayObject *p, *s;   // borrowed
    if (!PyArg_ParseTuple(args, "O!O!:rect_boxes", &PyArray_Type, &p, &PyArray_Type, &s)) return nullptr;
    if (PyArray_TYPE(p) != NPY_INT32 || PyArray_NDIM(p) != 2 || PyArray_DIM(p, 1) != 2 || !PyArray_ISCARRAY_RO(p) ||
        PyArray_TYPE(s) != NPY_INT64 || PyArray_NDIM(s) != 1 || PyArray_DIM(s, 0) < 1 || !PyArray_ISCARRAY_RO(s) ||
        PyArray_ISBYTESWAPPED(p) || PyArray_ISBYTESWAPPED(s)) {
        PyErr_SetString(PyExc_TypeError, "rect_boxes needs C-contiguous int32 points (N, 2) and int64 starts (K + 1,)");
        return nullptr;
    }
    const auto* xy = static_cast<const int32_t*>(PyArray_DATA(p));
    const auto* st = static_cast<const int64_t*>(PyArray_DATA(s));
    const npy_intp n_points = PyArray_DIM(p, 0), k = PyArray_DIM(s, 0) - 1;
    for (npy_intp i = 0; i < k; ++i)
        if (st[i] < 0 || st[i] > st[i + 1] || st[i + 1] > n_points || st[i + 1] - st[i] > INT_MAX / 2) {
            PyErr_Format(PyExc_ValueError, "starts must rise from 0 to at most %zd (set %zd)",
                         static_cast<Py_ssize_t>(n_points), static_cast<Py_ssize_t>(i));
            return nullptr;
        }
    npy_intp dims[3] = {k, 4, 2};
    PyObject* result = PyArray_SimpleNew(3, dims, NPY_FLOAT32);   // new reference
    if (result == nullptr) return nullptr;
    float* out = static_cast<float*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)));
    char error[256] = "";
    Py_BEGIN_ALLOW_THREADS
    try {
        for (npy_intp i = 0; i < k; ++i)
            fit(xy + 2 * st[i], static_cast<int>(st[i + 1] - st[i]), out + 8 * i);
    } catch (const std::exception& e) {
        std::snprintf(error, sizeof error, "%s", e.what());
    }
    Py_END_ALLOW_THREADS
    if (error[0]) {
        Py_DECREF(result);
        return PyErr_Format(PyExc_RuntimeError, "rect_boxes failed: %s", error);
    }
    return result;
}
