"""The installation-support bot of the CLS du Pays Lédonien and the CPTS du Grand Lons."""

__version__ = "0.1.0"
