/* placeholder: being written */
#include "xnn_lower.h"
int ecg_lower_mha(ecg_lower *l) { return ecg_lower_fail(l, "no XNNPACK lowering yet"); }
