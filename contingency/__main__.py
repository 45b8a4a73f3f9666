from contingency.cli import main

main()
