"""Ground truth against one trace: annotations, anchor labels and the training step's rules, the losses, proposal
recall, the per-object funnel, TP/FP/FN and the report behind `trace.ground_truth(...)`."""
