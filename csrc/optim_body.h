/* Body of the optimizer steps of optim.h, included once per element type (see
 * variants.h).  The includer defines:
 *
 *   FM_T      element type (double or float)
 *   FM_SFX    name suffix: _d or _s
 *   FM_T_SQRT the square root of FM_T
 *
 * and this file undefines them at its end.  Every step updates the elements
 * lo..hi-1 of the flat parameter buffer `params` and of its per-parameter state
 * buffers, which have the same layout. */

/* params, grad, m, v (at least hi): params[j] <- Adam step with g = (grad[j] +
 * a * w) / s and the moments m, v, after the decoupled weight decay w <- w -
 * decay * w (AdamW; 0 for Adam). */
FM_CLONES static void FM_NAME(fm_adam_update)(FM_T *restrict params,
                                              const FM_T *restrict grad, FM_T *restrict m,
                                              FM_T *restrict v, ptrdiff_t lo,
                                              ptrdiff_t hi, FM_T a, FM_T s, FM_T step,
                                              FM_T b1, FM_T b2, FM_T c1, FM_T c2,
                                              FM_T eps, FM_T decay) {
    ptrdiff_t j;
    for (j = lo; j < hi; j++) {
        FM_T w = params[j];
        FM_T g = (grad[j] + a * w) / s;
        FM_T mj, vj;
        w = w - decay * w;
        mj = b1 * m[j] + c1 * g;
        vj = b2 * v[j] + c2 * (g * g);
        m[j] = mj;
        v[j] = vj;
        params[j] = w + (-step * mj) / (FM_T_SQRT(vj) + eps);
    }
}

/* params, grad, velocity (at least hi): params[j] <- SGD step with momentum mu
 * (Nesterov's when nesterov != 0) and g = (grad[j] + a * w) / s. */
FM_CLONES static void FM_NAME(fm_sgd_update)(FM_T *restrict params,
                                             const FM_T *restrict grad,
                                             FM_T *restrict velocity, ptrdiff_t lo,
                                             ptrdiff_t hi, FM_T a, FM_T s, FM_T mu,
                                             FM_T eta, int nesterov) {
    ptrdiff_t j;
    if (nesterov) {
        for (j = lo; j < hi; j++) {
            FM_T w = params[j];
            FM_T g = (grad[j] + a * w) / s;
            FM_T vel = mu * velocity[j] - eta * g;
            velocity[j] = vel;
            params[j] = w + (mu * vel - eta * g);
        }
    } else {
        for (j = lo; j < hi; j++) {
            FM_T w = params[j];
            FM_T g = (grad[j] + a * w) / s;
            FM_T vel = mu * velocity[j] - eta * g;
            velocity[j] = vel;
            params[j] = w + vel;
        }
    }
}

/* params, grad, s (at least hi): Adagrad (running_average == 0: s[j]
 * accumulates g^2) or RMSprop (s[j] <- rho s[j] + crho g^2) with g = grad[j], a
 * gradient already scaled.  The square roots here are taken in double and
 * rounded to FM_T: for float the same bits as sqrtf, since a double carries
 * more than twice a float's precision. */
FM_CLONES static void FM_NAME(fm_adagrad_rmsprop_update)(
        FM_T *restrict params, const FM_T *restrict grad, FM_T *restrict s, ptrdiff_t lo,
        ptrdiff_t hi, FM_T lr, FM_T eps, FM_T rho, FM_T crho, int running_average) {
    ptrdiff_t j;
    for (j = lo; j < hi; j++) {
        FM_T g = grad[j];
        FM_T sj = running_average ? rho * s[j] + crho * (g * g) : s[j] + g * g;
        s[j] = sj;
        params[j] = params[j] - lr * g / ((FM_T)sqrt((double)sj) + eps);
    }
}

/* params, grad, s, d (at least hi): Adadelta (Zeiler 2012), its step scaled by
 * lr, with g = grad[j] already scaled: s holds the running average of g^2, d
 * that of the steps^2. */
FM_CLONES static void FM_NAME(fm_adadelta_update)(FM_T *restrict params,
                                                  const FM_T *restrict grad,
                                                  FM_T *restrict s, FM_T *restrict d,
                                                  ptrdiff_t lo, ptrdiff_t hi, FM_T lr,
                                                  FM_T eps, FM_T rho, FM_T crho) {
    ptrdiff_t j;
    for (j = lo; j < hi; j++) {
        FM_T g = grad[j];
        FM_T sj = rho * s[j] + crho * (g * g);
        FM_T dx =
                -((FM_T)sqrt((double)(d[j] + eps)) / (FM_T)sqrt((double)(sj + eps))) * g;
        s[j] = sj;
        d[j] = rho * d[j] + crho * (dx * dx);
        params[j] = params[j] + lr * dx;
    }
}

/* x (n): sum x[j]^2 in double precision, eight running sums (vectorisable). */
FM_CLONES static double FM_NAME(fm_sum_squares)(const FM_T *restrict x, ptrdiff_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i, j, n8 = n - n % 8;
    for (i = 0; i < n8; i += 8)
        for (j = 0; j < 8; j++) acc[j] += (double)x[i + j] * (double)x[i + j];
    for (i = n8; i < n; i++) acc[0] += (double)x[i] * (double)x[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

#undef FM_T
#undef FM_SFX
#undef FM_T_SQRT
