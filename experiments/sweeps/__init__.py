"""Sweeps of `custsim` (Hydra multiruns) that survive failures and resume.

`plan`: the jobs before launch; `launch`: batches; `progress`: jobs done and ETA;
`job`: one job's status; `aggregate`: the tables, report and on-multirun-end callback.
"""
