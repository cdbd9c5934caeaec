"""Teaching views, computed from the model's own numbers: the NMS walk-through, box stories, provenance, RoIPool vs
RoIAlign, RoI projection and the paper's ablations."""
