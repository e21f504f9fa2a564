"""One module per layer: each declares ``LAYER``, a :class:`layers.schema.LayerSpec`."""
