/* Channels-last layouts, an internal plan decision. ONNX defines every image tensor as NCHW
 * ([N, C, D1..Dr]); Conv's GEMMs gather and produce channels-last ([N, D1..Dr, C]) on its
 * channels-last path, and pooling over a channels-last tensor runs along contiguous channels. So
 * that a chain such as Conv -> MaxPool -> Conv -> GlobalAveragePool does not change layout at
 * every step, the planner stores a tensor channels-last when its producer can write it so, every
 * reader can read it so, and some op on the chain gains (ONNX_LAYOUT_WANTS, op.h); ops that only
 * pass the layout through (ONNX_LAYOUT_SAME: MaxPool) carry it from one side to the other. The
 * tensor's shape stays the ONNX one. Graph inputs and outputs, views, and values read by ops that
 * do not offer the layout stay NCHW. */
#ifndef FERRY_ONNX_LAYOUT_H
#define FERRY_ONNX_LAYOUT_H

#include "onnx/plan.h"

/* Chooses the layouts of a plan whose steps are made (before memory is placed): sets each step's
 * ctx.layout, asks the steps that read or write a channels-last tensor for their scratch again,
 * and fills p->channels_last. Nothing changes when the graph asks for plain layouts. Fails only
 * with NO_MEMORY. */
ferry_status onnx_layout_choose(onnx_plan *p, ferry_error *err) FERRY_MUST_CHECK;

/* True when value v's tensor ([N, C, D1..Dr]) is stored the same in both layouts (rank below 3,
 * one channel, or one spatial position), so that no layout need be chosen for it. */
bool onnx_layout_same_bytes(const ferry_tensor *t);

#endif
