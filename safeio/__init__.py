"""Reading the files people hand the bot (question banks, rosters, studybot.yaml, plans, meetings, study items)
without letting one file take the machine or the database: sizes, a workbook's unpacked size and compression
ratio, rows and cell length, nesting, YAML aliases, encodings, and the characters storage and Excel cannot hold.

Pure, like quizzes/, content/ and scheduler/ (no bot/, no database, no network), so that all of them and bot/
share one of each rule. A refusal is `Refused`: a Chinese reason that names neither the file nor the line (the
caller knows which file, and says it the way its other messages do) and the line or row when there is one.

    limits       the numbers, and Refused
    text         reading a text file (size, encoding), characters storage and Excel cannot hold, long text
    yamlfile     the one YAML loader: safe, aliases and nesting bounded
    jsonfile     nesting of a JSON document, checked before it is parsed
    oserrors     why the system refused to read or write a file, in Chinese
    tables       CSV records and .xlsx sheets as rows, bounded before and while they are read

The package face imports nothing, so reading YAML does not load openpyxl."""
