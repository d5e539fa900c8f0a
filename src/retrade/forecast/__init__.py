"""Forecasts of rare-earth trade shares and volumes with honest prediction intervals."""
