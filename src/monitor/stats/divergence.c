/* Jensen–Shannon distance and PSI; see divergence.h. The Jensen–Shannon steps are scipy's
 * (normalise, midpoint, rel_entr on each side, sum, halve, square root). */
#include "monitor/stats/divergence.h"

#include <math.h>

static double sum_of(const double *x, size_t k)
{
    double s = 0.0;
    for (size_t i = 0; i < k; i++)
        s += x[i];
    return s;
}

/* scipy.special.rel_entr(x, y) for x, y >= 0 (y > 0 whenever x > 0 here). */
static double rel_entr(double x, double y)
{
    return x > 0.0 ? x * log(x / y) : 0.0;
}

double stats_jensenshannon(const double *p, const double *q, size_t k)
{
    double sp = sum_of(p, k), sq = sum_of(q, k), left = 0.0, right = 0.0;
    for (size_t i = 0; i < k; i++) {
        double pi = p[i] / sp, qi = q[i] / sq, mi = (pi + qi) / 2.0;
        left += rel_entr(pi, mi);
        right += rel_entr(qi, mi);
    }
    return sqrt((left + right) / 2.0);
}

double stats_psi(const double *ref, const double *cur, size_t k)
{
    double sr = sum_of(ref, k), sc = sum_of(cur, k), psi = 0.0;
    for (size_t i = 0; i < k; i++) {
        double r = ref[i] / sr, c = cur[i] / sc;
        r = r == 0.0 ? STATS_PSI_FLOOR : r;
        c = c == 0.0 ? STATS_PSI_FLOOR : c;
        psi += (c - r) * log(c / r);
    }
    return psi;
}
