"""API of the sales app: records (registered by sales.api)."""


def register(router) -> None:
    pass
