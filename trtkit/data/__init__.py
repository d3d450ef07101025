"""Data: files -> named arrays (inputs, feeds), preprocessing, postprocessing, labelled datasets; shared by
the run side (infer, compare, eval) and calibration alike."""
