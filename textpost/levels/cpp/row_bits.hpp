// row_bits.hpp: one row of the fused level's pass (fused.cpp) as bit sets, 64 pixels per
// uint64_t word, pixel k of a word in bit k: the thresholding that makes them, and the
// searches that cut them into runs (count trailing / leading zeros: one instruction finds
// the next 1 among 64 pixels, so empty stretches of a row cost a word each).
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

// Step 1 for one row: threshold both maps straight into three bit sets, 64 pixels per
// word (pixel k of the word is bit k): text (textmap > low_text), link (linkmap >
// link_threshold) and strong (textmap >= text_threshold).  The same read tells whether
// the row holds a value that is not finite (NaN or inf: its bits without the sign are
// above FLT_MAX's, 0x7f7fffff); the caller reports it.  On x86-64, SSE2 (every x86-64 CPU
// has it) compares 4 pixels at once and movemask turns the 4 answers into 4 bits;
// elsewhere, and for the row's last partial word, a plain loop does the same.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TEXTPOST_AVX2 1
// The same with AVX2, 8 pixels per compare, for the CPUs that have it (chosen at run time).
__attribute__((target("avx2"))) inline int threshold_words_avx2(
        const float* t, const float* l, int cols, float low, float link_thr, float text_thr,
        uint64_t* text_bits, uint64_t* link_bits, uint64_t* strong_bits, bool& bad) {
    const __m256 vlow = _mm256_set1_ps(low), vlink = _mm256_set1_ps(link_thr), vtext = _mm256_set1_ps(text_thr);
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), flt_max = _mm256_set1_epi32(0x7f7fffff);
    __m256i nonfinite = _mm256_setzero_si256();
    int c = 0;
    for (; c + 64 <= cols; c += 64) {
        uint64_t tb = 0, lb = 0, gb = 0;
        for (int k = 0; k < 64; k += 8) {
            const __m256 a = _mm256_loadu_ps(t + c + k), b = _mm256_loadu_ps(l + c + k);
            tb |= static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, vlow, _CMP_GT_OQ))) << k;
            lb |= static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(b, vlink, _CMP_GT_OQ))) << k;
            gb |= static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, vtext, _CMP_GE_OQ))) << k;
            const __m256i ua = _mm256_and_si256(_mm256_castps_si256(a), abs_mask);
            const __m256i ub = _mm256_and_si256(_mm256_castps_si256(b), abs_mask);
            nonfinite = _mm256_or_si256(nonfinite, _mm256_or_si256(_mm256_cmpgt_epi32(ua, flt_max),
                                                                  _mm256_cmpgt_epi32(ub, flt_max)));
        }
        text_bits[c >> 6] = tb, link_bits[c >> 6] = lb, strong_bits[c >> 6] = gb;
    }
    bad = _mm256_movemask_epi8(nonfinite) != 0;
    return c;
}
inline const bool kHasAvx2 = __builtin_cpu_supports("avx2");
#endif

inline bool threshold_bits(const float* t, const float* l, int cols, float low, float link_thr, float text_thr,
                    uint64_t* text_bits, uint64_t* link_bits, uint64_t* strong_bits) {
    bool bad = false;
    int c = 0;
#if defined(TEXTPOST_AVX2)
    if (kHasAvx2) c = threshold_words_avx2(t, l, cols, low, link_thr, text_thr, text_bits, link_bits, strong_bits, bad);
    else
#endif
#if defined(__SSE2__)
    {
    const __m128 vlow = _mm_set1_ps(low), vlink = _mm_set1_ps(link_thr), vtext = _mm_set1_ps(text_thr);
    const __m128i abs_mask = _mm_set1_epi32(0x7fffffff), flt_max = _mm_set1_epi32(0x7f7fffff);
    __m128i nonfinite = _mm_setzero_si128();
    for (; c + 64 <= cols; c += 64) {
        uint64_t tb = 0, lb = 0, gb = 0;
        for (int k = 0; k < 64; k += 4) {
            const __m128 a = _mm_loadu_ps(t + c + k), b = _mm_loadu_ps(l + c + k);
            tb |= static_cast<uint64_t>(_mm_movemask_ps(_mm_cmpgt_ps(a, vlow))) << k;
            lb |= static_cast<uint64_t>(_mm_movemask_ps(_mm_cmpgt_ps(b, vlink))) << k;
            gb |= static_cast<uint64_t>(_mm_movemask_ps(_mm_cmpge_ps(a, vtext))) << k;
            const __m128i ua = _mm_and_si128(_mm_castps_si128(a), abs_mask);
            const __m128i ub = _mm_and_si128(_mm_castps_si128(b), abs_mask);
            nonfinite = _mm_or_si128(nonfinite, _mm_or_si128(_mm_cmpgt_epi32(ua, flt_max), _mm_cmpgt_epi32(ub, flt_max)));
        }
        text_bits[c >> 6] = tb, link_bits[c >> 6] = lb, strong_bits[c >> 6] = gb;
    }
    bad = _mm_movemask_epi8(nonfinite) != 0;
    }
#endif
    for (; c < cols; c += 64) {
        uint64_t tb = 0, lb = 0, gb = 0;
        for (int k = 0; k < 64 && c + k < cols; ++k) {
            const float a = t[c + k], b = l[c + k];
            tb |= static_cast<uint64_t>(a > low) << k;
            lb |= static_cast<uint64_t>(b > link_thr) << k;
            gb |= static_cast<uint64_t>(a >= text_thr) << k;
            bad |= !(std::fabs(a) <= FLT_MAX) | !(std::fabs(b) <= FLT_MAX);
        }
        text_bits[c >> 6] = tb, link_bits[c >> 6] = lb, strong_bits[c >> 6] = gb;
    }
    return bad;
}

// Bit sets of one row, 64 pixels per word, and a zero word after the last.
inline int next_one(const uint64_t* bits, int words, int pos) {   // first 1 at or after pos, else words * 64
    int w = pos >> 6;
    if (w >= words) return words * 64;
    uint64_t v = bits[w] & (~0ull << (pos & 63));
    while (v == 0)
        if (++w == words) return words * 64; else v = bits[w];
    return w * 64 + __builtin_ctzll(v);
}

inline int next_zero(const uint64_t* bits, int pos) {   // first 0 at or after pos (the zero word stops it)
    int w = pos >> 6;
    uint64_t v = ~bits[w] & (~0ull << (pos & 63));
    while (v == 0) v = ~bits[++w];
    return w * 64 + __builtin_ctzll(v);
}

inline int prev_one(const uint64_t* bits, int pos) {   // last 1 at or before pos (there must be one)
    int w = pos >> 6;
    uint64_t v = bits[w] & (~0ull >> (63 - (pos & 63)));
    while (v == 0) v = bits[--w];
    return w * 64 + 63 - __builtin_clzll(v);
}
