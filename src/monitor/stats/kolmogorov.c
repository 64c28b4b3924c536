/* The Kolmogorov survival function by its two classic series; see kolmogorov.h.
 *
 * For x above the cut-over the alternating series 2 Σ (-1)^(k-1) q^(k²), q = exp(-2x²), converges
 * in a handful of terms and keeps relative accuracy deep into the tail. Below it that series
 * converges slowly, so the CDF comes from the Jacobi-theta form
 * sqrt(2π)/x Σ exp(-(2k-1)²π²/(8x²)) and the survival function is 1 - CDF (never small there).
 * The cut-over is scipy's (cephes kolmogorov.c), which keeps both forms at full precision. */
#include "monitor/stats/kolmogorov.h"

#include <math.h>

#define KOLMOGOROV_CUTOVER 0.82
#define KOLMOGOROV_TERMS   64

static double cdf_theta(double x)
{
    const double pi = 3.14159265358979323846;
    double w = exp(-pi * pi / (8.0 * x * x));
    if (w == 0.0)
        return 0.0;
    /* w^((2k-1)²): consecutive exponents differ by 8(k-1), so each term is the last times w^(8k).
     */
    double w8 = pow(w, 8.0), step = w8, term = w, sum = 0.0;
    for (int k = 1; k <= KOLMOGOROV_TERMS && term > 0.0; k++) {
        sum += term;
        if (term < sum * 1e-17)
            break;
        term *= step;
        step *= w8;
    }
    return sqrt(2.0 * pi) / x * sum;
}

static double sf_alternating(double x)
{
    double sum = 0.0, sign = 1.0;
    for (int k = 1; k <= KOLMOGOROV_TERMS; k++) {
        double term = exp(-2.0 * (double)k * (double)k * x * x);
        sum += sign * term;
        if (term <= fabs(sum) * 1e-17)
            break;
        sign = -sign;
    }
    return 2.0 * sum;
}

double stats_kolmogorov_sf(double x)
{
    if (isnan(x))
        return NAN;
    if (x <= 0.0)
        return 1.0;
    if (x <= KOLMOGOROV_CUTOVER)
        return 1.0 - cdf_theta(x);
    double sf = sf_alternating(x);
    return sf < 0.0 ? 0.0 : sf > 1.0 ? 1.0 : sf;
}
