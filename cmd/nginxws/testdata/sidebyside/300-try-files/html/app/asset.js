asset
