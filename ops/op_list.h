/* Every op, registered once. X(ID, name, lowering): ECG_OP_<ID> in ecg_op_kind, its definition
 * `const ecg_op ecg_op_<name>` (shape rule, FLOPs, reference forward and backward, traits: in
 * ops/ref_*.c) and its XNNPACK lowering (ops/xnn_*.c, declared in ops/xnn_lower.h). The op table
 * (ops/graph.c) and the lowering table (ops/xnn_exec.c) are both expanded from this list, so an
 * op without a definition or a lowering does not build. Add new ops at the end: the order is the
 * enum's. How to add an op: docs/backend.md. */
#ifndef ECG_OP_LIST_H
#define ECG_OP_LIST_H

#define ECG_OP_LIST(X)                                                                             \
    X(CONV1D, conv1d, ecg_lower_conv1d)          /* also depthwise: groups == in == out channels */ \
    X(LINEAR, linear, ecg_lower_linear)          /* acts on the last axis: [.., in] -> [.., out] */ \
    X(BATCHNORM, batchnorm, ecg_lower_batchnorm) /* per channel (last axis) */                      \
    X(RELU, relu, ecg_lower_unary)                                                                 \
    X(SILU, silu, ecg_lower_unary)                                                                 \
    X(SIGMOID, sigmoid, ecg_lower_unary)                                                           \
    X(TANH, tanh, ecg_lower_unary)                                                                 \
    X(HARDSWISH, hardswish, ecg_lower_unary)                                                       \
    /* a + b, b broadcast over leading axes (numpy rules, trailing aligned) */                     \
    X(ADD, add, ecg_lower_binary)                                                                  \
    X(MUL, mul, ecg_lower_binary)                /* a * b, same broadcast (SE scaling: [T, C] * [C]) */ \
    X(GAP, gap, ecg_lower_gap)                   /* global average pool over time: [T, C] -> [C] */ \
    X(MAXPOOL, maxpool, ecg_lower_maxpool)       /* over time, padding counts as -inf */            \
    X(DROPOUT, dropout, ecg_lower_dropout)       /* inverted dropout in training, identity otherwise */ \
    /* [T, in] -> [T, H*dirs], or [H*dirs] (last_only, = PyTorch h_n concat) */                     \
    X(LSTM, lstm, ecg_lower_lstm)                                                                  \
    /* multi-head attention, batch_first; in0 = query, in1 = key/value (cross) */                  \
    X(MHA, mha, ecg_lower_mha)                                                                     \
    X(LAYERNORM, layernorm, ecg_lower_layernorm) /* over the last axis */                          \
    /* input holds integer indices stored as float: [L] -> [L, dim] */                              \
    X(EMBEDDING, embedding, ecg_lower_embedding)                                                   \
    X(CONCAT, concat, ecg_lower_concat)          /* along attrs.axis (per-sample axis) */          \
    /* attrs.start .. start+length-1 along attrs.axis (per-sample axis) */                          \
    X(SLICE, slice, ecg_lower_slice)                                                               \
    /* no input: a learned parameter [1, L, D] as a per-sample value [L, D] (class token) */        \
    X(TOKENS, tokens, ecg_lower_tokens)                                                            \
    /* same data, per-sample shape attrs.shape (PyTorch x.reshape(N, *shape)) */                    \
    X(RESHAPE, reshape, ecg_lower_reshape)

#endif
