"""FastAPI dependencies: the settings and the live collection, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from askdocs.settings import Settings
from index.collection import Collection
from service.answer import Answerer
from service.state import CollectionHolder


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_holder(request: Request) -> CollectionHolder:
    """The holder of the live collection."""
    holder: CollectionHolder = request.app.state.holder
    return holder


def get_collection(holder: Annotated[CollectionHolder, Depends(get_holder)]) -> Collection:
    """The live collection view for this request."""
    return holder.get()


def get_answerer(
    collection: Annotated[Collection, Depends(get_collection)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Answerer:
    """An answerer over this request's collection view."""
    return Answerer(collection, settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[CollectionHolder, Depends(get_holder)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
