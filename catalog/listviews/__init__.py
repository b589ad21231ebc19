"""Saved views of the product list: named filters, search, sort and columns per editor.

- ``models``: a saved view (``SavedView``: its owner, name, query, sort and columns,
  shared with the team or not) and each editor's list settings (``ProductListSettings``:
  the columns they chose last, their default view), imported by ``catalog.models``.
- ``query``: the list's address taken apart and put back together, pure: only the
  parameters the list knows are kept, the sort by column names (not positions).
- ``services``: save, update, rename, share, delete, make default, choose columns; the
  rules (a name once per owner, another's view never changed, a default the editor may
  see); ``selectors``: the views an editor may open, their default, their columns.
- ``figures``: the price range and total stock of a page's products in one query.

The product list's edge is ``catalog.admin.saved_views`` (the pages and the columns).
"""
