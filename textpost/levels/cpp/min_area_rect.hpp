// min_area_rect.hpp: the minimum-area rectangle of points given in raster order, and its
// 4 corners, bit for bit what cv2.minAreaRect + cv2.boxPoints return for them.
//
// A port of textpost/levels/kernels.py (convex_hull, raster_order_start, min_area_rect,
// box_points), the project's own kernels that the numba and Cython levels run: the same
// steps, the same float32 operations in the same order.  The order matters: float32
// rounds at every step, and where two rectangles have the same area the first one found
// wins, so a different order of the hull's corners or of one sum changes some boxes.
// (The build passes -ffp-contract=off: no fused multiply-add skips a rounding.)
//
//   RectFit fit;                                  // reuse it: its buffers grow, never shrink
//   fit.box(points, n, box);                      // points sorted by y, then x (raster order)
//
// No sort: the fused level produces each component's points already in raster order
// (each row's first and last pixel, row by row), and the monotone chain walks them as
// they come, one side of the hull down the left ends, the other back up the right ends.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

struct Pt { int x, y; };   // a pixel: column, row

constexpr double kPi = 3.14159265358979323846;   // CV_PI, as a double

class RectFit {
public:
    // The 4 corners of the smallest rectangle around pts[0 .. n-1] (raster order) into box
    // (x0, y0, .. x3, y3), as cv2.boxPoints(cv2.minAreaRect(pts)).  No points: all zero.
    void box(const Pt* pts, int n, float box[8]) {
        const int m = convex_hull(pts, n);
        float cx, cy, w, h, angle;
        min_area_rect(m, cx, cy, w, h, angle);
        box_points(cx, cy, w, h, angle, box);
    }

    size_t bytes() const { return sizeof(Pt) * (work_.capacity() + hull_.capacity()) + 4 * edges_.capacity(); }

private:
    std::vector<Pt> work_, hull_;   // grown to the largest point set seen, then reused
    std::vector<float> edges_;      // 3 per hull corner: dx, dy, 1 / length

    static int64_t cross(Pt o, Pt a, Pt b) {   // > 0: o -> a -> b turns left
        return static_cast<int64_t>(a.x - o.x) * (b.y - o.y) - static_cast<int64_t>(a.y - o.y) * (b.x - o.x);
    }
    static int64_t raster_key(Pt p) { return static_cast<int64_t>(p.y) * 4294967296LL + p.x; }

    // kernels.convex_hull: the corners into hull_, in the order cv2.convexHull gives them.
    int convex_hull(const Pt* pts, int n) {
        if (static_cast<int>(hull_.size()) < n + 1) work_.resize(n + 1), hull_.resize(n + 1);
        Pt *work = work_.data(), *hull = hull_.data();
        if (n <= 1) {
            if (n == 1) hull[0] = pts[0];
            return n;
        }
        // kernels.convex_hull walks all points down, then all back up.  A corner of the side
        // walked down (the right side: x grows to the right, y down) is the last point of its
        // row, a corner of the side walked back the first of its row, and a point that cannot
        // be a corner changes nothing (the chain drops it again): so each walk takes only
        // those, half the points, and the hull comes out the same, corner for corner.
        int m = 0;
        for (int i = 0; i < n; ++i) {   // one side of the hull: the first point, then each row's last ...
            if (i > 0 && i < n - 1 && pts[i + 1].y == pts[i].y) continue;
            while (m >= 2 && cross(work[m - 2], work[m - 1], pts[i]) <= 0) --m;
            work[m++] = pts[i];
        }
        const int first_side = m + 1;
        for (int i = n - 2; i >= 0; --i) {   // ... and the other on the way back: each row's first
            if (i > 0 && pts[i - 1].y == pts[i].y) continue;
            while (m >= first_side && cross(work[m - 2], work[m - 1], pts[i]) <= 0) --m;
            work[m++] = pts[i];
        }
        --m;   // the last corner is the first one again
        int start = 0;   // OpenCV's first corner: the largest x, then the largest y
        for (int i = 1; i < m; ++i)
            if (work[i].x > work[start].x || (work[i].x == work[start].x && work[i].y > work[start].y)) start = i;
        for (int i = 0; i < m; ++i) hull[i] = work[(start + i) % m];
        const int shift = raster_order_start(hull, m);
        if (shift > 0)
            for (int i = 0; i < m; ++i) hull[i] = work[(start + shift + i) % m];
        return m;
    }

    // kernels.raster_order_start: where cv2.convexHull lets the cycle start.
    static int raster_order_start(const Pt* hull, int m) {
        if (m < 3) return 0;
        int min_i = 0, max_i = 0, rises = 0;
        for (int i = 1; i < m; ++i) {
            const int64_t key = raster_key(hull[i]);
            if (raster_key(hull[i - 1]) < key) ++rises;
            if (1 < rises && rises <= i - 2) break;
            if (key < raster_key(hull[min_i])) min_i = i;
            if (key > raster_key(hull[max_i])) max_i = i;
        }
        const int gap = std::abs(max_i - min_i);
        if (!((gap == 1 || gap == m - 1) && (rises <= 1 || rises >= m - 2))) return 0;
        const bool ascending = (max_i + 1) % m == min_i;
        const int start = ascending ? min_i : max_i;
        if (start == 0) return 0;
        for (int i = 0, j = start; i < m - 1; ++i) {
            const int next = j + 1 < m ? j + 1 : 0;
            if (ascending != (raster_key(hull[j]) < raster_key(hull[next]))) return 0;
            j = next;
        }
        return start;
    }

    static float degrees(float angle) {   // OpenCV's (float)(angle * 180 / CV_PI), the product a float
        return static_cast<float>(static_cast<double>(angle * 180.0f) / kPi);
    }
    static bool is_right_of(float ax, float ay, float bx, float by) { return ay * bx + (-ax) * by < 0.0f; }

    // kernels.min_area_rect: rotating calipers over hull_[0 .. m-1], in float32.
    void min_area_rect(int m, float& cx, float& cy, float& w, float& h, float& angle) {
        const Pt* hull = hull_.data();
        cx = cy = w = h = angle = 0.0f;
        if (m == 0) return;
        if (m == 1) {
            cx = static_cast<float>(hull[0].x), cy = static_cast<float>(hull[0].y);
            return;
        }
        if (m == 2) {
            const float ax = static_cast<float>(hull[0].x), ay = static_cast<float>(hull[0].y);
            const float bx = static_cast<float>(hull[1].x), by = static_cast<float>(hull[1].y);
            const double dx = bx - ax, dy = by - ay;
            cx = (ax + bx) * 0.5f, cy = (ay + by) * 0.5f;
            w = static_cast<float>(std::sqrt(dx * dx + dy * dy));
            angle = degrees(static_cast<float>(std::atan2(dy, dx)));
            return;
        }
        if (static_cast<int>(edges_.size()) < 3 * m) edges_.resize(3 * m);
        float* e = edges_.data();   // corner i: e[3i] = dx, e[3i + 1] = dy, e[3i + 2] = 1 / length
        int left = 0, right = 0, top = 0, bottom = 0;
        float left_x = static_cast<float>(hull[0].x), right_x = left_x;
        float top_y = static_cast<float>(hull[0].y), bottom_y = top_y;
        for (int i = 0; i < m; ++i) {
            const float x = static_cast<float>(hull[i].x), y = static_cast<float>(hull[i].y);
            if (x < left_x) left_x = x, left = i;
            if (x > right_x) right_x = x, right = i;
            if (y > top_y) top_y = y, top = i;
            if (y < bottom_y) bottom_y = y, bottom = i;
            const int j = i + 1 < m ? i + 1 : 0;
            const float dx = static_cast<float>(hull[j].x) - x, dy = static_cast<float>(hull[j].y) - y;
            e[3 * i] = dx, e[3 * i + 1] = dy;
            e[3 * i + 2] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dx) * dx + static_cast<double>(dy) * dy));
        }
        float base_a = 1.0f, base_b = 0.0f;   // the first caliper direction, from the orientation
        double ax = e[3 * (m - 1)], ay = e[3 * (m - 1) + 1];
        for (int i = 0; i < m; ++i) {
            const double bx = e[3 * i], by = e[3 * i + 1], turn = ax * by - ay * bx;
            if (turn != 0) {
                base_a = turn > 0 ? 1.0f : -1.0f;
                break;
            }
            ax = bx, ay = by;
        }
        int s[4] = {bottom, right, top, left};   // the corner under each caliper
        float min_area = 3.4028234663852886e38f, best_a = 0, best_b = 0, best_w = 0, best_h = 0;
        int best_left = 0, best_bottom = 0;
        for (int step = 0; step < m; ++step) {
            // each caliper's edge turned into caliper 0's frame; the one turning least moves
            const float rx[4] = {e[3 * s[0]], e[3 * s[1] + 1], -e[3 * s[2]], -e[3 * s[3] + 1]};
            const float ry[4] = {e[3 * s[0] + 1], -e[3 * s[1]], -e[3 * s[2] + 1], e[3 * s[3]]};
            int main = 0;
            for (int c = 1; c < 4; ++c)
                if (is_right_of(rx[c], ry[c], rx[main], ry[main])) main = c;
            const int p = s[main];
            const float lead_x = e[3 * p] * e[3 * p + 2], lead_y = e[3 * p + 1] * e[3 * p + 2];
            if (main == 0) base_a = lead_x, base_b = lead_y;
            else if (main == 1) base_a = lead_y, base_b = -lead_x;
            else if (main == 2) base_a = -lead_x, base_b = -lead_y;
            else base_a = -lead_y, base_b = lead_x;
            s[main] = s[main] + 1 < m ? s[main] + 1 : 0;
            float dx = static_cast<float>(hull[s[1]].x) - static_cast<float>(hull[s[3]].x);
            float dy = static_cast<float>(hull[s[1]].y) - static_cast<float>(hull[s[3]].y);
            const float width = dx * base_a + dy * base_b;
            dx = static_cast<float>(hull[s[2]].x) - static_cast<float>(hull[s[0]].x);
            dy = static_cast<float>(hull[s[2]].y) - static_cast<float>(hull[s[0]].y);
            const float height = -dx * base_b + dy * base_a;
            const float area = width * height;
            if (area <= min_area) {
                min_area = area, best_left = s[3], best_bottom = s[0];
                best_a = base_a, best_b = base_b, best_w = width, best_h = height;
            }
        }
        // the corner where the left and bottom calipers meet, and the two sides
        const float a1 = best_a, b1 = best_b, a2 = -best_b, b2 = best_a;
        const float c1 = a1 * static_cast<float>(hull[best_left].x) + static_cast<float>(hull[best_left].y) * b1;
        const float c2 = a2 * static_cast<float>(hull[best_bottom].x) + static_cast<float>(hull[best_bottom].y) * b2;
        const float idet = 1.0f / (a1 * b2 - a2 * b1);
        const float px = (c1 * b2 - c2 * b1) * idet, py = (a1 * c2 - a2 * c1) * idet;
        const float v1x = a1 * best_w, v1y = b1 * best_w, v2x = a2 * best_h, v2y = b2 * best_h;
        cx = px + (v1x + v2x) * 0.5f;
        cy = py + (v1y + v2y) * 0.5f;
        w = static_cast<float>(std::sqrt(static_cast<double>(v1x) * v1x + static_cast<double>(v1y) * v1y));
        h = static_cast<float>(std::sqrt(static_cast<double>(v2x) * v2x + static_cast<double>(v2y) * v2y));
        angle = degrees(static_cast<float>(std::atan2(static_cast<double>(v1y), static_cast<double>(v1x))));
    }

    // kernels.box_points: cv2.boxPoints.
    static void box_points(float cx, float cy, float w, float h, float angle, float box[8]) {
        const double rad = static_cast<double>(angle) * kPi / 180.0;
        const float b = static_cast<float>(std::cos(rad)) * 0.5f, a = static_cast<float>(std::sin(rad)) * 0.5f;
        box[0] = cx - a * h - b * w, box[1] = cy + b * h - a * w;
        box[2] = cx + a * h - b * w, box[3] = cy - b * h - a * w;
        box[4] = 2.0f * cx - box[0], box[5] = 2.0f * cy - box[1];
        box[6] = 2.0f * cx - box[2], box[7] = 2.0f * cy - box[3];
    }
};
