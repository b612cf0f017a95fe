// box_finish.hpp: the end of step 3 for one component, ready-made for exercise 06
// (exercises/06_cpp.ipynb), so that the exercise is the binding and the loop.
//
//   box_from_points(points, box)
//       points  the component's points in map coordinates (step 3e's nonzero pixels)
//       box     receives 8 floats: x0, y0, x1, y1, x2, y2, x3, y3
//   3e  the minimum-area rectangle around the points and its 4 corners
//       (no points: the all-zero rectangle, like Python's cv2.minAreaRect)
//   3f  the "diamond" fix: a nearly square rectangle becomes the points' upright bounding box
//   3g  the corners start at the one with the smallest x + y, in cyclic order
//
// Bit for bit what textpost/levels/reference.py computes: the arithmetic is float32,
// like NumPy's on the float32 box (the same code as box_from_points in textpost_cpp.cpp).
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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

    const float d0x = box[0] - box[2], d0y = box[1] - box[3];   // 3f. the diamond fix, in float32
    const float d1x = box[2] - box[4], d1y = box[3] - box[5];
    const float w = std::sqrt(d0x * d0x + d0y * d0y), h = std::sqrt(d1x * d1x + d1y * d1y);
    const float ratio = std::max(w, h) / (std::min(w, h) + 1e-5f);
    if (std::fabs(1.0f - ratio) <= 0.1f && !points.empty()) {
        const cv::Rect bb = cv::boundingRect(points);           // the far edge: x + width - 1
        const float l = bb.x, t = bb.y, r = bb.x + bb.width - 1, b = bb.y + bb.height - 1;
        const float upright[8] = {l, t, r, t, r, b, l, b};
        std::memcpy(box, upright, sizeof upright);
    }

    int start = 0;                                               // 3g. the corner order
    for (int i = 1; i < 4; ++i)
        if (box[2 * i] + box[2 * i + 1] < box[2 * start] + box[2 * start + 1]) start = i;
    std::rotate(box, box + 2 * start, box + 8);   // corner `start` (2 floats each) comes first
}
