/* Optimizer updates over a range of the flat parameter buffer: the step of
 * every solver (codes.h) and the sum of squares of the L2 penalty, written once
 * (optim_body.h) for double (suffix _d) and float (suffix _s).
 *
 * These loops run once per mini-batch over every parameter; they carry
 * FM_CLONES (variants.h): one clone per instruction set, each giving the same
 * bits as the baseline code. */
#ifndef FASTMLP_OPTIM_H
#define FASTMLP_OPTIM_H

#include <math.h>
#include <stddef.h>

#include "variants.h"

#define FM_T double
#define FM_SFX _d
#define FM_T_SQRT sqrt
#include "optim_body.h"

#define FM_T float
#define FM_SFX _s
#define FM_T_SQRT sqrtf
#include "optim_body.h"

#endif /* FASTMLP_OPTIM_H */
