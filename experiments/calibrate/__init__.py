"""`custsim-calibrate`: a firm's transaction log in, a calibrated population out.

data (reading and checking the log, the split by date, the statistics both the data
and a simulation are summarised by), fit (stage 1: BG/NBD and Gamma-Gamma by maximum
likelihood; stage 2: the simulation's own parameters by the simulated method of
moments), plots and report (tracking, histograms, conditional expectations, holdout
errors), job and cli (the command).
"""
