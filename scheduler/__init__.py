"""Pure time rules: Asia/Shanghai time (shanghai), workdays (workdays), APScheduler triggers that know them
(triggers), schedule phrases (phrases, phrase_parts), 三会一课 (meetings) and ranking periods (periods). The jobs
that run them live in bot/jobs/."""
