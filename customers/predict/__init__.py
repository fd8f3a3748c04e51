"""Predicted repurchase (30 / 90 days) and 90-day revenue per customer, no Django (issue 22).

- ``bgnbd``: BG/NBD and Gamma-Gamma fitted with numpy/scipy (lifetimes is only a bench extra).
- ``features``: a customer's history at a cut-off (x, t_x, T, order value, behaviour since the
  last order) and the labels after it.
- ``model``: the time-split, calibrated classifier with its BG/NBD fallback, stored as JSON.
"""
