/* Q(a, x) by a power series for P = 1 - Q below x = a + 1 and Lentz's continued fraction for Q
 * above it (Numerical Recipes §6.2), each converging fast on its side; see gamma.h. The common
 * factor x^a e^-x / Γ(a) is formed in logs with lgamma_r (lgamma is not thread-safe). */
#include "monitor/stats/gamma.h"

#include <float.h>
#include <math.h>

#define GAMMA_MAX_ITERATIONS 100000
#define GAMMA_TINY           1e-300

/* log(x^a e^-x / Γ(a)). */
static double log_prefactor(double a, double x)
{
    int sign = 0;
    return a * log(x) - x - lgamma_r(a, &sign);
}

/* P(a, x) by its series: x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)···(a+n)). */
static double lower_series(double a, double x)
{
    double term = 1.0 / a, sum = term, ap = a;
    for (int i = 0; i < GAMMA_MAX_ITERATIONS; i++) {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if (fabs(term) < fabs(sum) * DBL_EPSILON)
            break;
    }
    return sum * exp(log_prefactor(a, x));
}

/* Q(a, x) by its continued fraction, evaluated with the modified Lentz method. */
static double upper_fraction(double a, double x)
{
    double b = x + 1.0 - a, c = 1.0 / GAMMA_TINY, d = 1.0 / b, h = d;
    for (int i = 1; i < GAMMA_MAX_ITERATIONS; i++) {
        double an = -(double)i * ((double)i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < GAMMA_TINY)
            d = GAMMA_TINY;
        c = b + an / c;
        if (fabs(c) < GAMMA_TINY)
            c = GAMMA_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < DBL_EPSILON)
            break;
    }
    return exp(log_prefactor(a, x)) * h;
}

double stats_gammaincc(double a, double x)
{
    if (isnan(a) || isnan(x) || a <= 0.0 || x < 0.0)
        return NAN;
    if (x == 0.0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    if (x < a + 1.0)
        return 1.0 - lower_series(a, x);
    return upper_fraction(a, x);
}

double stats_chi2_sf(double x, double df)
{
    if (isnan(df) || df <= 0.0)
        return NAN;
    if (x <= 0.0)
        return isnan(x) ? NAN : 1.0;
    return stats_gammaincc(df / 2.0, x / 2.0);
}
