"""The day's stages, one module each: arrival, shelf, settlement, aftermath (and loyalty).

Every function names what it reads and writes in its signature; none takes the
model. `custsim.sim.model.CustsimModel.step` calls them in a fixed order.
"""
