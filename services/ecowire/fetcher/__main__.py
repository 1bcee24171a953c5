"""python -m ecowire.fetcher"""

from .app import main

main()
