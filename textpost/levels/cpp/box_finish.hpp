// box_finish.hpp: the end of step 3 for one component, shared by both C++ levels
// (textpost_cpp.cpp, fused.cpp) and ready-made for exercise 06 (exercises/06_cpp.ipynb),
// so that the exercise is the binding and the loop.
//
//   box_from_points(points, box)
//       points  the component's points in map coordinates (step 3e's nonzero pixels)
//       box     receives 8 floats: x0, y0, x1, y1, x2, y2, x3, y3
//   3e  the minimum-area rectangle around the points and its 4 corners (cv::minAreaRect)
//       (no points: the all-zero rectangle, like Python's cv2.minAreaRect)
//   3f  the "diamond" fix: a nearly square rectangle becomes the points' upright bounding box
//   3g  the corners start at the one with the smallest x + y, in cyclic order
//
// and the pieces of steps 3d-3e that work from row spans instead of images:
//
//   region_of(x, y, w, h, area, rows, cols)      niter and the region around a component
//   dilated_row_extremes(region, first, last, points)
//                                               the first and last pixel of each dilated row
//   finish_box(box, left, top, right, bottom)   3f + 3g on a rectangle's 4 corners
//
// Bit for bit what textpost/levels/reference.py computes: the arithmetic is float32,
// like NumPy's on the float32 box.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

constexpr int kNoPixel = INT_MAX;   // "no mask pixel in this row"

// Step 3d's numbers for one component: its box (from the stats), niter, and the region
// it is dilated in (columns sx .. ex-1, rows sy .. ey-1).
struct Region {
    int x, y, w, h;
    int niter;
    int sx, sy, ex, ey;
};

inline Region region_of(int x, int y, int w, int h, int area, int rows, int cols) {
    // niter = int(sqrt(area * min(w, h) / (w * h)) * 2), with 64-bit products:
    // area * min(w, h) overflows int32 on big maps
    const double fill = static_cast<double>(static_cast<int64_t>(area) * std::min(w, h)) /
                        static_cast<double>(static_cast<int64_t>(w) * h);
    const int niter = static_cast<int>(std::sqrt(fill) * 2.0);
    // the box widened by niter, far ends one pixel further, clipped to the map
    return Region{x, y, w, h, niter, std::max(x - niter, 0), std::max(y - niter, 0),
                  std::min(x + w + niter + 1, cols), std::min(y + h + niter + 1, rows)};
}

// Steps 3d + 3e from row spans: first[i], last[i] are the mask's first and last column in
// row r.y + i (first[i] = kNoPixel: none).  Dilating with a k x k rectangle (anchor a = k / 2,
// OpenCV's centred default) turns a mask pixel at column c into columns c + a - (k - 1) .. c + a
// of the rows a - (k - 1) .. a around it; so a dilated row's first column is the smallest
// first column of the mask rows under the kernel, shifted and clipped to the region, and its
// last column likewise.  Appends (first, row) and (last, row) of each dilated row to `points`,
// row by row (raster order); one point when they coincide.
template <class Points>
void dilated_row_extremes(const Region& r, const int* first, const int* last, Points& points) {
    const int ksize = 1 + r.niter, anchor = ksize / 2;
    points.resize(2 * static_cast<size_t>(r.ey - r.sy));   // at most 2 a row (no allocation once big enough)
    size_t n = 0;
    for (int row = r.sy; row < r.ey; ++row) {
        // mask rows under the kernel: row - anchor .. row - anchor + ksize - 1, inside the box
        const int from = std::max(row - anchor, r.y) - r.y;
        const int to = std::min(row - anchor + ksize - 1, r.y + r.h - 1) - r.y;
        int lo = kNoPixel, hi = -1;
        for (int i = from; i <= to; ++i) {
            if (first[i] == kNoPixel) continue;
            lo = std::min(lo, first[i]);
            hi = std::max(hi, last[i]);
        }
        if (hi < 0) continue;   // nothing under the kernel: an empty row
        lo = std::max(lo + anchor - (ksize - 1), r.sx);
        hi = std::min(hi + anchor, r.ex - 1);
        points[n].x = lo, points[n++].y = row;
        if (hi != lo) points[n].x = hi, points[n++].y = row;
    }
    points.resize(n);
}

// 3f + 3g on the 4 corners in `box`; left .. bottom: the points' upright bounding box
// (inclusive), used when the diamond fix applies.  `any`: there were points at all.
inline void finish_box(float box[8], int left, int top, int right, int bottom, bool any = true) {
    const float d0x = box[0] - box[2], d0y = box[1] - box[3];   // 3f. the diamond fix, in float32
    const float d1x = box[2] - box[4], d1y = box[3] - box[5];
    const float w = std::sqrt(d0x * d0x + d0y * d0y), h = std::sqrt(d1x * d1x + d1y * d1y);
    const float ratio = std::max(w, h) / (std::min(w, h) + 1e-5f);
    if (std::fabs(1.0f - ratio) <= 0.1f && any) {
        const float l = left, t = top, r = right, b = bottom;
        const float upright[8] = {l, t, r, t, r, b, l, b};
        std::memcpy(box, upright, sizeof upright);
    }

    int start = 0;                                               // 3g. the corner order
    for (int i = 1; i < 4; ++i)
        if (box[2 * i] + box[2 * i + 1] < box[2 * start] + box[2 * start + 1]) start = i;
    std::rotate(box, box + 2 * start, box + 8);   // corner `start` (2 floats each) comes first
}

inline void box_from_points(const std::vector<cv::Point>& points, float box[8]) {
    // 3e. The points go in as floats: minAreaRect turns its integer hull into floats anyway
    // (a copy), and the float hull of pixel coordinates is the same hull, so the same box.
    // They go in row order, like the reference's: between two rectangles of equal area,
    // minAreaRect's choice depends on the input order (passing only the hull's corners
    // changed some boxes; the tests caught it).
    thread_local std::vector<cv::Point2f> fpoints;   // reused: no allocation per box
    cv::RotatedRect rect;                                  // all zero when there are no points
    if (!points.empty()) {                                 // (cv::minAreaRect of none would throw)
        fpoints.assign(points.begin(), points.end());
        rect = cv::minAreaRect(fpoints);
    }
    cv::Point2f corners[4];
    rect.points(corners);                                  // what cv::boxPoints computes, without a Mat
    for (int i = 0; i < 4; ++i) box[2 * i] = corners[i].x, box[2 * i + 1] = corners[i].y;
    if (points.empty()) return finish_box(box, 0, 0, 0, 0, false);
    const cv::Rect bb = cv::boundingRect(points);           // the far edge: x + width - 1
    finish_box(box, bb.x, bb.y, bb.x + bb.width - 1, bb.y + bb.height - 1);
}
