"""Knowledge contests (知识竞赛) in groups. The engine itself is pure (quizzes/contest.py); here it meets the
chat and the database:

- `service`: the flow — start, answers, a question closing (by its deadline or once the branch has
  answered), stop, resume after a restart;
- `running`: the contests under way, one per group, and what each remembers between answers;
- `deadlines`: arming and cancelling each group's question deadline on the contest timers;
- `records`: what a closed question writes (points, statistics, 错题本) and rebuilding contests from the
  database after a restart;
- `texts`: how questions, reveals and bank lists read in chat."""

from bot.services.contests.service import ContestService

__all__ = ["ContestService"]
