"""I2I's analysis: pure Python over DataFrames (pandas, networkx, scipy).

It imports neither Flask nor `app`, so the same code runs in a web request, a background
job, the CLI or a notebook. Trends, correlations, the social graph and reports live here.
"""
