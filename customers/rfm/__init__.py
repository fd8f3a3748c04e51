"""Customer RFM + GMM segmentation and grounded Q&A, with no Django import (tested without a DB).

- ``features``: recency / frequency / monetary per customer and the log1p transform.
- ``model``: the Gaussian mixture (components by BIC or fixed), value-ordered segment names,
  JSON (de)serialisation and a numpy scorer that needs no pickle.
- ``qa``: intent extraction (customer id / segment / metric / behaviour) and template answers.
"""
