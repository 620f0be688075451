"""Publish: rendered HTML into files a reader gets.

Takes an edition's HTML and gives PDF bytes (WeasyPrint, with a local-only URL fetcher and its
log captured as build problems), repairs and reads back the tagged structure, and writes every
output atomically (temporary file, then rename), only after everything has rendered.
"""
