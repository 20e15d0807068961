// The live contest page (h5/contest.html): the state the server rendered, then Server-Sent Events (or polling of
// /state where they fail). The countdown runs from the server's time left, never from this phone's clock.
(function () {
  "use strict";
  var root = document.getElementById("contest");
  if (!root) { return; }
  var id = root.dataset.id, csrf = root.dataset.csrf, member = root.dataset.member === "yes";
  var $ = function (name) { return document.getElementById(name); };
  var state = JSON.parse($("contest-state").textContent), key = null, deadlineAt = 0, source = null, polling = 0;
  var picked = [];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function tick() {
    var timer = $("timer");
    if (!deadlineAt) { timer.textContent = ""; return; }
    var left = Math.ceil((deadlineAt - performance.now()) / 1000);
    timer.className = left > 0 ? "timer" : "timer over";
    timer.textContent = left > 0 ? "剩余 " + left + " 秒" : "时间到，等待揭晓";
  }

  function showReveal(reveal) {
    var box = $("reveal");
    if (!reveal) { box.hidden = true; return; }
    var lines = ["第 " + reveal.number + " 题答案：" + reveal.answer];
    if (reveal.explanation) { lines.push("解析：" + reveal.explanation); }
    if (reveal.source) { lines.push("出处：" + reveal.source); }
    var who = reveal.names && reveal.names.length ? "：" + reveal.names.join("、") + (reveal.names.length < reveal.correct ? " 等" : "") : "";
    lines.push("作答 " + reveal.answered + " 人，答对 " + reveal.correct + " 人" + who);
    box.textContent = lines.join("\n");
    box.hidden = false;
  }

  function showQuestion(q) {
    $("progress").textContent = "第 " + q.number + "/" + q.total + " 题 · " + q.type_label;
    var box = $("question");
    clear(box);
    box.appendChild(el("p", q.text, "q-text"));
    var list = el("ol", undefined, "options");
    q.options.forEach(function (option) { list.appendChild(el("li", option)); });
    box.appendChild(list);
    deadlineAt = performance.now() + q.remaining_ms;
    tick();
  }

  function buildForm(q) {
    var form = $("answer"), choices = $("choices"), blank = $("blank"), submit = $("submit");
    clear(choices);
    picked = [];
    $("note").textContent = "";
    q.choices.forEach(function (choice) {
      var button = el("button", choice);
      button.type = "button";
      button.dataset.choice = choice;
      button.addEventListener("click", function () {
        if (q.multiple) {
          var at = picked.indexOf(choice);
          if (at < 0) { picked.push(choice); } else { picked.splice(at, 1); }
          button.classList.toggle("picked", at < 0);
        } else {
          button.classList.add("picked");
          send(choice);
        }
      });
      choices.appendChild(button);
    });
    blank.hidden = q.choices.length > 0;
    blank.value = "";
    submit.hidden = !(q.multiple || q.choices.length === 0);
    form.hidden = false;
  }

  function lock(answer, message) {
    Array.prototype.forEach.call($("choices").children, function (b) {
      b.disabled = true;
      if (answer && answer.indexOf(b.dataset.choice) >= 0) { b.classList.add("picked"); }
    });
    $("blank").disabled = true;
    $("submit").disabled = true;
    if (message) { $("note").textContent = message; }
  }
  function unlock() {
    $("blank").disabled = false;
    $("submit").disabled = false;
  }

  function send(choice) {
    if (!choice) { $("note").textContent = "请先选择或填写答案。"; return; }
    var body = new URLSearchParams({csrf: csrf, question_key: key || "", choice: choice});
    fetch("/h5/contest/" + id + "/answer", {method: "POST", body: body, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (told) {
        $("note").textContent = told.message;
        $("note").className = told.ok ? "note ok" : "note bad";
        if (told.ok || told.answer) { lock(told.answer); }
      })
      .catch(function () { $("note").textContent = "网络不稳定，答案没有送达，请再试一次。"; });
  }

  function showResults(results) {
    var box = $("results");
    if (!results) { box.hidden = true; return; }
    clear(box);
    box.appendChild(el("h2", results.ended_early ? "🏁 竞赛提前结束" : "🏁 竞赛结束"));
    var list = el("ol");
    var medals = ["🥇", "🥈", "🥉"];
    results.podium.forEach(function (row) {
      list.appendChild(el("li", (medals[row.rank - 1] || "") + " " + row.name + "  " + row.points + " 分"));
    });
    box.appendChild(list);
    box.appendChild(el("p", "共 " + results.players + " 人参赛" + (results.scored ? "" : "（练习赛，不计党建积分）"), "muted"));
    box.hidden = false;
  }

  function showStandings(standings) {
    var box = $("standings");
    if (!standings) { box.hidden = true; return; }
    clear(box);
    box.appendChild(el("h2", "全委竞赛支部排名"));
    var list = el("ol");
    standings.rows.slice(0, 30).forEach(function (row) {
      var item = el("li", row.branch + " 人均 " + row.average + " 分，参与 " + row.took_part + "/" + row.members + " 人");
      if (row.branch === standings.own) { item.className = "own"; }
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function render(next) {
    state = next;
    showReveal(next.reveal);
    if (next.phase === "question" && next.question) {
      var fresh = next.question.key !== key;
      key = next.question.key || key;
      showQuestion(next.question);
      if (member && (fresh || $("answer").hidden)) { buildForm(next.question); unlock(); }
      if (member && next.mine && next.mine.answered) { lock(next.mine.answer, "您已作答：" + next.mine.answer + "（以第一次作答为准）"); }
    } else {
      deadlineAt = 0;
      tick();
      if ($("answer")) { $("answer").hidden = true; $("note").textContent = ""; }
      if (next.phase === "ended" && !next.results) { clear($("question")); $("question").appendChild(el("p", "本场竞赛已经结束。", "q-text")); }
      else { clear($("question")); }
      $("progress").textContent = "";
    }
    showResults(next.results);
    showStandings(next.standings);
    if (next.phase === "standings" || next.phase === "ended" || (next.phase === "results" && !next.round)) { stop(); }
  }

  function load() {
    return fetch("/h5/contest/" + id + "/state", {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); }).then(render).catch(function () {});
  }
  function stop() {
    if (source) { source.close(); source = null; }
    if (polling) { clearInterval(polling); polling = 0; }
    $("live").textContent = "";
  }
  function poll() {
    if (!polling) { polling = setInterval(load, 2000); $("live").textContent = "自动刷新中"; }
  }
  function listen() {
    if (!window.EventSource) { poll(); return; }
    source = new EventSource("/h5/contest/" + id + "/events");
    source.addEventListener("open", function () { $("live").textContent = "● 实时"; load(); });
    source.addEventListener("step", function (event) { render(JSON.parse(event.data)); });
    source.addEventListener("error", function () {
      if (source && source.readyState === EventSource.CLOSED) { source = null; poll(); }
      else { $("live").textContent = "正在重新连接…"; }
    });
  }

  if (member) {
    $("answer").addEventListener("submit", function (event) {
      event.preventDefault();
      send(state.question && state.question.choices.length ? picked.slice().sort().join("") : $("blank").value.trim());
    });
  }
  setInterval(tick, 250);
  render(state);
  if (state.phase === "question" || (state.phase === "results" && state.round)) { listen(); }
}());
