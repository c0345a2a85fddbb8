"""`custsim-abtest`: an in-market A/B test of a campaign against the truth the sim knows.

The firm keeps a holdout of its own customers (`custsim.policies.campaign`) and
measures the lift from its own records; paired worlds (everyone treated, nobody
treated, common random numbers) give the true total effect. See `job` for the plan.
"""
