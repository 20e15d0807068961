"""Readers for question banks people already have: spreadsheets (.xlsx, .csv) and JSON.

Each reader returns a `Parsed`: the questions with where each sits in the file, the problems found,
and the bank fields the file gives (name, description …). quizzes.bank_io puts them together.
Importing this package stays cheap: openpyxl is imported only when an .xlsx file is read."""
