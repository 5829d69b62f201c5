// The demo dashboard: one student's analytics, read the way a real dashboard reads them.
//
// It is also the reference client for the dashboard team, so it uses nothing a dashboard
// would not have: the public routes, `Authorization: Bearer <read key or student token>`
// (nothing while the API runs open), and the answers' documented shape
// ({data, meta: {userId, computedAt, cache}}, errors as {error: {code, message}}).
// Charts are Vega-Lite specs drawn by vega-embed; every file comes from this API.
(function () {
  'use strict';

  var STORAGE_KEY = 'study-analytics-demo-credential';
  var USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
  var DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  var MASTERY_ORDER = ['MASTERED', 'PROFICIENT', 'DEVELOPING', 'STRUGGLING'];
  var MASTERY_COLORS = ['#1f8a4c', '#7fb24a', '#e0a23a', '#c0392b'];
  var RISK_ORDER = ['HIGH', 'MEDIUM', 'LOW'];
  var RISK_COLORS = ['#c0392b', '#e0a23a', '#7fb24a'];
  var MAX_BARS = 20;

  var state = {
    credential: '',
    /** 'open' | 'key' | 'token': how the API let us in. */
    access: null,
    /** The user the dashboard shows (null: the token's own user). */
    userId: null,
    /** Bumped by every load, so the answers of an older one are dropped. */
    generation: 0,
  };

  var el = {
    form: byId('access'),
    credential: byId('credential'),
    forget: byId('forget'),
    status: byId('access-status'),
    picker: byId('picker'),
    student: byId('student'),
    studentId: byId('student-id'),
    period: byId('period'),
    refresh: byId('refresh'),
    banner: byId('banner'),
    dashboard: byId('dashboard'),
    title: byId('student-title'),
  };

  function byId(id) {
    return document.getElementById(id);
  }

  // ---------------------------------------------------------------- the API

  /** A failed call: the API's error code and message, or what went wrong on the way. */
  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  /** GET a route of this API as JSON; throws an ApiError for anything but 200. */
  function get(path, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (name) {
      if (params[name] !== null && params[name] !== undefined) query.set(name, params[name]);
    });
    var url = path + (query.toString() ? '?' + query.toString() : '');
    var headers = { Accept: 'application/json' };
    if (state.credential) headers.Authorization = 'Bearer ' + state.credential;
    return fetch(url, { headers: headers, cache: 'no-store' }).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (ignored) {
            body = null;
          }
          if (response.status === 200 && body) return body;
          var error = body && body.error ? body.error : {};
          throw new ApiError(response.status, error.code || 'E_HTTP_' + response.status, error.message || 'HTTP ' + response.status);
        });
      },
      function () {
        throw new ApiError(0, 'E_NETWORK', 'the API did not answer (is it running?)');
      },
    );
  }

  /** What a person should do about a failed call. */
  function explain(error) {
    if (error.status === 401) return 'The API refused the credential (' + error.message + '). Enter a read key, or a fresh token of the student.';
    if (error.status === 403) return 'Not allowed: ' + error.message + '.';
    if (error.status === 429) return 'Too many requests; wait a moment and refresh.';
    if (error.status === 503) return 'A dependency of the API is down: ' + error.message + '.';
    if (error.status === 0) return 'No answer from the API: is it still running?';
    return error.message + (error.code ? ' (' + error.code + ')' : '');
  }

  function looksLikeToken(credential) {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential);
  }

  /** The `sub` of a token, for display only: the API verifies it, this page cannot. */
  function tokenSubject(token) {
    try {
      var payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(payload + '==='.slice((payload.length + 3) % 4))).sub || null;
    } catch (ignored) {
      return null;
    }
  }

  // ---------------------------------------------------------------- access and the picker

  /**
   * How the API lets this page in. A student's token (a JWT, told by its shape as the API
   * tells it) reads its own user only: no picker, the routes without userId. Otherwise the
   * recent users' list answers 200 in open mode or to a read (or admin) key.
   */
  function connect() {
    hide(el.banner);
    if (looksLikeToken(state.credential)) {
      state.access = 'token';
      var sub = tokenSubject(state.credential);
      el.status.textContent = "A student's token: it reads its own analytics only" + (sub ? ' (' + sub + ')' : '') + '.';
      hide(el.picker);
      return load(null);
    }
    el.status.textContent = 'Checking how this API is reached…';
    return get('/api/users/recent', { limit: 50 }).then(
      function (body) {
        state.access = state.credential ? 'key' : 'open';
        el.status.textContent =
          state.access === 'open' ? 'The API runs open (no API_KEYS): no key is needed. Pick a student below.' : 'Key accepted: it reads every student. Pick one below.';
        fillPicker(body.data.users);
      },
      function (error) {
        state.access = null;
        hide(el.picker);
        hide(el.dashboard);
        if (error.status === 401 && !state.credential) {
          el.status.textContent = 'This API needs a key: enter a read key (or a student’s token) above.';
          return;
        }
        el.status.textContent = 'Cannot list students.';
        showBanner(error.status === 403 ? 'This key has another role: the dashboard needs a read (or admin) key, or a student’s token.' : explain(error));
      },
    );
  }

  function fillPicker(users) {
    show(el.picker);
    el.student.textContent = '';
    if (users.length === 0) {
      var none = document.createElement('option');
      none.textContent = 'no student yet';
      none.value = '';
      el.student.appendChild(none);
      hide(el.dashboard);
      showBanner('No student has any activity yet. Run a simulated cohort — pnpm simulate -- --duration 30 --rate 50 — then press Refresh.', 'info');
      return;
    }
    users.forEach(function (user) {
      var option = document.createElement('option');
      option.value = user.userId;
      option.textContent = user.userId + ' — active ' + ago(user.lastActivityAt);
      el.student.appendChild(option);
    });
    var wanted = new URLSearchParams(location.hash.slice(1)).get('user');
    var chosen = wanted && USER_ID.test(wanted) ? wanted : users[0].userId;
    if (users.some(function (u) { return u.userId === chosen; })) el.student.value = chosen;
    el.studentId.value = '';
    return load(chosen);
  }

  // ---------------------------------------------------------------- the dashboard

  var TILES = [
    { name: 'missions', route: 'missions/summary', period: true, render: renderMissions },
    { name: 'hours', route: 'patterns', render: renderHours },
    { name: 'days', route: 'patterns', render: renderDays },
    { name: 'objectives', route: 'objectives', render: renderObjectives },
    { name: 'load', route: 'cognitive-load/current', render: renderLoad },
    { name: 'predictions', route: 'predictions', render: renderPredictions },
    { name: 'interventions', route: 'interventions', render: renderInterventions },
  ];

  /** Loads every tile of `userId` (null: the token's user): each shows loading, then its chart, its empty state or its error. */
  function load(userId) {
    state.userId = userId;
    state.generation += 1;
    var generation = state.generation;
    hide(el.banner);
    show(el.dashboard);
    el.title.textContent = userId ? 'Student ' + userId : 'Your analytics';
    if (userId) history.replaceState(null, '', '#user=' + encodeURIComponent(userId));
    var answers = {};
    return Promise.all(
      TILES.map(function (tile) {
        var node = tileNode(tile.name);
        setTileState(node, 'loading', 'Loading…');
        var params = { userId: userId };
        if (tile.period) params.period = el.period.value;
        var key = tile.route + '?' + (params.period || '');
        // Two tiles of one route share one request.
        answers[key] = answers[key] || get('/api/analytics/' + tile.route, params);
        return answers[key].then(
          function (answer) {
            if (generation !== state.generation) return;
            if (!userId && answer.meta) el.title.textContent = 'Student ' + answer.meta.userId;
            setMeta(node, answer.meta);
            var body = node.querySelector('.body');
            body.textContent = '';
            // A tile's render returns false (an empty state), true, or the chart's promise.
            return Promise.resolve(tile.render(body, answer.data)).then(
              function (drawn) {
                if (generation === state.generation) node.dataset.state = drawn === false ? 'empty' : 'ready';
              },
              function (error) {
                if (generation === state.generation) setTileState(node, 'error', 'The chart could not be drawn: ' + (error && error.message));
              },
            );
          },
          function (error) {
            if (generation !== state.generation) return;
            setTileState(node, 'error', explain(error));
            node.querySelector('.meta').textContent = '';
          },
        );
      }),
    ).then(function () {
      if (generation === state.generation) el.dashboard.dataset.loaded = String(generation);
    });
  }

  function tileNode(name) {
    return el.dashboard.querySelector('[data-tile="' + name + '"]');
  }

  function setTileState(node, kind, text) {
    node.dataset.state = kind;
    var body = node.querySelector('.body');
    body.textContent = '';
    var message = document.createElement('p');
    message.className = 'state ' + kind;
    message.textContent = text;
    body.appendChild(message);
  }

  /** An empty state inside a tile's body; returns false (the tile drew no chart). */
  function empty(body, text) {
    var message = document.createElement('p');
    message.className = 'state empty';
    message.textContent = text;
    body.appendChild(message);
    return false;
  }

  function setMeta(node, meta) {
    var text = meta ? 'computed ' + ago(meta.computedAt) + ' · served from ' + meta.cache + (meta.refreshing ? ' · a fresh computation is on its way' : '') : '';
    node.querySelector('.meta').textContent = text;
  }

  function kpis(body, items) {
    var row = document.createElement('div');
    row.className = 'kpis';
    items.forEach(function (item) {
      var kpi = document.createElement('div');
      kpi.className = 'kpi';
      var value = document.createElement('strong');
      if (item.level) {
        var badge = document.createElement('span');
        badge.className = 'level ' + item.level;
        badge.textContent = item.level;
        value.appendChild(badge);
      } else value.textContent = item.value;
      var label = document.createElement('span');
      label.textContent = item.label;
      kpi.appendChild(value);
      kpi.appendChild(label);
      row.appendChild(kpi);
    });
    body.appendChild(row);
  }

  /** Draws a Vega-Lite spec into a new chart element of `body`. */
  function chart(body, spec) {
    var target = document.createElement('div');
    target.className = 'chart';
    body.appendChild(target);
    var full = Object.assign(
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        width: 'container',
        height: 180,
        autosize: { type: 'fit-x', contains: 'padding' },
        config: { view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } },
      },
      spec,
    );
    // ast: Vega's expressions run in its interpreter, not through eval, so the page's
    // Content-Security-Policy needs no 'unsafe-eval'.
    return vegaEmbed(target, full, { actions: false, renderer: 'svg', ast: true }).then(function (result) {
      return result.view;
    });
  }

  function percent(rate) {
    return rate === null || rate === undefined ? '—' : Math.round(rate * 100) + ' %';
  }

  function number(value, digits) {
    return value === null || value === undefined ? '—' : Number(value).toFixed(digits || 0);
  }

  // ---------------------------------------------------------------- tiles

  function renderMissions(body, data) {
    kpis(body, [
      { label: 'started', value: data.started },
      { label: 'completed', value: data.completed },
      { label: 'abandoned', value: data.abandoned },
      { label: 'completion rate', value: percent(data.completionRate) },
      { label: 'mean success score', value: percent(data.avgSuccessScore) },
      { label: 'mean minutes per mission', value: number(data.avgDurationMinutes, 1) },
      { label: 'day streak', value: data.currentStreakDays },
    ]);
    if (data.started + data.completed + data.abandoned === 0) return empty(body, 'No mission in this period.');
    return chart(body, {
      height: 90,
      data: {
        values: [
          { outcome: 'started', missions: data.started },
          { outcome: 'completed', missions: data.completed },
          { outcome: 'abandoned', missions: data.abandoned },
        ],
      },
      mark: { type: 'bar', cornerRadiusEnd: 3 },
      encoding: {
        y: { field: 'outcome', type: 'nominal', sort: null, title: null },
        x: { field: 'missions', type: 'quantitative', title: 'missions in ' + data.period, axis: { tickMinStep: 1, format: 'd' } },
        color: { field: 'outcome', type: 'nominal', legend: null, scale: { domain: ['started', 'completed', 'abandoned'], range: ['#2f5fd0', '#1f8a4c', '#c0392b'] } },
        tooltip: [{ field: 'outcome' }, { field: 'missions' }],
      },
    });
  }

  function renderHours(body, data) {
    kpis(body, [
      { label: 'sessions (90 days)', value: data.sessionsAnalyzed },
      { label: 'best hours (UTC)', value: data.optimalStudyHours.length ? data.optimalStudyHours.map(function (h) { return h + ':00'; }).join(', ') : '—' },
      { label: 'confidence', value: percent(data.confidence) },
    ]);
    if (data.sessionsAnalyzed === 0) return empty(body, 'No study session in the last 90 days.');
    var optimal = data.optimalStudyHours;
    var values = data.byHourOfDay.map(function (h) {
      return { hour: h.hour, sessions: h.sessions, accuracy: h.accuracy, best: optimal.indexOf(h.hour) >= 0 ? 'best hour' : 'other' };
    });
    return chart(body, {
      data: { values: values },
      encoding: { x: { field: 'hour', type: 'ordinal', title: 'hour of day (UTC)', axis: { labelAngle: 0, values: [0, 3, 6, 9, 12, 15, 18, 21] } } },
      layer: [
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            y: { field: 'sessions', type: 'quantitative', title: 'sessions', axis: { tickMinStep: 1, format: 'd' } },
            color: { field: 'best', type: 'nominal', title: null, scale: { domain: ['best hour', 'other'], range: ['#1f8a4c', '#9db4e8'] }, legend: { orient: 'top' } },
            tooltip: [{ field: 'hour' }, { field: 'sessions' }, { field: 'accuracy', format: '.0%' }],
          },
        },
        {
          mark: { type: 'line', point: true, color: '#1d2330', strokeWidth: 1.5 },
          transform: [{ filter: 'datum.accuracy !== null' }],
          encoding: { y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { domain: [0, 1] } } },
        },
      ],
      resolve: { scale: { y: 'independent' } },
    });
  }

  function renderDays(body, data) {
    kpis(body, [
      { label: 'usual session (median minutes)', value: number(data.preferredSessionMinutes, 0) },
      { label: 'minutes studied (90 days)', value: number(data.byDayOfWeek.reduce(function (sum, d) { return sum + d.minutes; }, 0), 0) },
    ]);
    if (data.sessionsAnalyzed === 0) return empty(body, 'No study session in the last 90 days.');
    var values = data.byDayOfWeek.map(function (d) {
      return { day: DAY_NAMES[d.day], order: d.day, minutes: Math.round(d.minutes), sessions: d.sessions };
    });
    return chart(body, {
      data: { values: values },
      mark: { type: 'bar', cornerRadiusEnd: 3, color: '#2f5fd0' },
      encoding: {
        x: { field: 'day', type: 'ordinal', sort: DAY_NAMES, title: null, axis: { labelAngle: 0 } },
        y: { field: 'minutes', type: 'quantitative', title: 'minutes (90 days)' },
        tooltip: [{ field: 'day' }, { field: 'minutes' }, { field: 'sessions' }],
      },
    });
  }

  function renderObjectives(body, data) {
    var objectives = data.objectives;
    var counts = {};
    objectives.forEach(function (o) {
      counts[o.masteryLevel] = (counts[o.masteryLevel] || 0) + 1;
    });
    kpis(
      body,
      MASTERY_ORDER.map(function (level) {
        return { label: level.toLowerCase(), value: counts[level] || 0 };
      }),
    );
    if (objectives.length === 0) return empty(body, 'No card reviewed in the last 90 days.');
    var shown = objectives
      .slice()
      .sort(function (a, b) {
        return (a.recentAccuracy || 0) - (b.recentAccuracy || 0) || (a.objectiveId < b.objectiveId ? -1 : 1);
      })
      .slice(0, MAX_BARS);
    var spec = {
      height: { step: 16 },
      data: { values: shown },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        y: { field: 'objectiveId', type: 'nominal', sort: null, title: null },
        x: { field: 'recentAccuracy', type: 'quantitative', title: 'accuracy of the last 10 reviews', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        color: { field: 'masteryLevel', type: 'nominal', title: 'mastery', scale: { domain: MASTERY_ORDER, range: MASTERY_COLORS }, legend: { orient: 'top' } },
        tooltip: [
          { field: 'objectiveId', title: 'objective' },
          { field: 'masteryLevel', title: 'mastery' },
          { field: 'recentAccuracy', title: 'recent accuracy', format: '.0%' },
          { field: 'accuracy', title: '90-day accuracy', format: '.0%' },
          { field: 'attempts' },
          { field: 'lastPracticedAt', title: 'last practiced', type: 'temporal', format: '%Y-%m-%d %H:%M' },
        ],
      },
    };
    if (objectives.length > shown.length) {
      var note = document.createElement('p');
      note.className = 'note';
      note.textContent = 'The ' + shown.length + ' weakest of ' + objectives.length + ' objectives.';
      body.appendChild(note);
    }
    return chart(body, spec);
  }

  function renderLoad(body, data) {
    kpis(body, [
      { label: 'load score (0–100)', value: number(data.loadScore, 0) },
      { label: 'level', level: data.level },
      { label: 'burnout risk', value: data.burnoutRisk ? 'yes' : 'no' },
      { label: 'minutes studied, 24 h', value: number(data.components.studyMinutes24h, 0) },
      { label: 'error rate', value: percent(data.components.errorRate) },
    ]);
    if (data.history.length === 0) return empty(body, 'No load computed yet.');
    return chart(body, {
      data: { values: data.history },
      layer: [
        {
          data: { values: [{ from: 0, to: 40, level: 'LOW' }, { from: 40, to: 60, level: 'MODERATE' }, { from: 60, to: 80, level: 'HIGH' }, { from: 80, to: 100, level: 'CRITICAL' }] },
          mark: { type: 'rect', opacity: 0.12 },
          encoding: {
            y: { field: 'from', type: 'quantitative' },
            y2: { field: 'to' },
            color: { field: 'level', type: 'nominal', title: 'level', scale: { domain: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'], range: ['#1f8a4c', '#e0a23a', '#e07a3a', '#c0392b'] }, legend: { orient: 'top' } },
          },
        },
        {
          mark: { type: 'line', point: { filled: true, size: 45 }, color: '#1d2330', strokeWidth: 2 },
          encoding: {
            x: { field: 'day', type: 'temporal', title: null, timeUnit: 'utcyearmonthdate', axis: { format: '%b %d', labelAngle: 0 } },
            y: { field: 'loadScore', type: 'quantitative', title: 'load score', scale: { domain: [0, 100] } },
            tooltip: [{ field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', format: '%Y-%m-%d' }, { field: 'loadScore', title: 'load score', format: '.1f' }],
          },
        },
      ],
    });
  }

  function renderPredictions(body, data) {
    kpis(
      body,
      RISK_ORDER.map(function (level) {
        return { label: level.toLowerCase() + ' risk', value: data.counts[level] };
      }),
    );
    if (data.predictions.length === 0) return empty(body, 'No objective with 3 or more reviews in the last 30 days.');
    return chart(body, {
      height: { step: 16 },
      data: { values: data.predictions.slice(0, MAX_BARS) },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        y: { field: 'objectiveId', type: 'nominal', sort: null, title: null },
        x: { field: 'struggleProbability', type: 'quantitative', title: 'probability of struggling', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        color: { field: 'riskLevel', type: 'nominal', title: 'risk', scale: { domain: RISK_ORDER, range: RISK_COLORS }, legend: { orient: 'top' } },
        tooltip: [
          { field: 'objectiveId', title: 'objective' },
          { field: 'struggleProbability', title: 'probability', format: '.0%' },
          { field: 'recentAccuracy', title: 'recent accuracy', format: '.0%' },
          { field: 'daysSinceLastPractice', title: 'days since practice', format: '.1f' },
        ],
      },
    });
  }

  function renderInterventions(body, data) {
    if (data.interventions.length === 0) return empty(body, 'Nothing to suggest right now.');
    var list = document.createElement('ul');
    list.className = 'interventions';
    data.interventions.forEach(function (item) {
      var li = document.createElement('li');
      var priority = document.createElement('span');
      priority.className = 'priority';
      priority.title = 'priority (10 is the most urgent)';
      priority.textContent = item.priority;
      priority.style.opacity = String(0.45 + item.priority / 20);
      var type = document.createElement('span');
      type.className = 'type';
      type.textContent = item.type.replace(/_/g, ' ').toLowerCase() + (item.objectiveId ? ' · ' + item.objectiveId : '');
      var reason = document.createElement('span');
      reason.className = 'reason';
      reason.textContent = item.reason;
      li.appendChild(priority);
      li.appendChild(type);
      li.appendChild(reason);
      list.appendChild(li);
    });
    body.appendChild(list);
    return true;
  }

  // ---------------------------------------------------------------- small things

  function ago(iso) {
    var seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (!isFinite(seconds)) return 'at an unknown time';
    if (seconds < 5) return 'just now';
    if (seconds < 90) return seconds + ' s ago';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
    if (seconds < 172800) return Math.round(seconds / 3600) + ' h ago';
    return Math.round(seconds / 86400) + ' days ago';
  }

  function show(node) {
    node.hidden = false;
  }

  function hide(node) {
    node.hidden = true;
  }

  function showBanner(text, kind) {
    el.banner.textContent = text;
    el.banner.className = 'banner' + (kind ? ' ' + kind : '');
    show(el.banner);
  }

  // ---------------------------------------------------------------- wiring

  el.form.addEventListener('submit', function (event) {
    event.preventDefault();
    state.credential = el.credential.value.trim();
    el.credential.value = '';
    if (state.credential) sessionStorage.setItem(STORAGE_KEY, state.credential);
    else sessionStorage.removeItem(STORAGE_KEY);
    el.credential.placeholder = state.credential ? 'a credential is in use (kept in this tab only)' : 'none needed while the API runs open';
    connect();
  });
  el.forget.addEventListener('click', function () {
    state.credential = '';
    sessionStorage.removeItem(STORAGE_KEY);
    el.credential.placeholder = 'none needed while the API runs open';
    connect();
  });
  el.student.addEventListener('change', function () {
    if (el.student.value) {
      el.studentId.value = '';
      load(el.student.value);
    }
  });
  el.studentId.addEventListener('change', function () {
    var id = el.studentId.value.trim();
    if (!USER_ID.test(id)) return showBanner('A user id is 1–64 characters of A–Z, a–z, 0–9, _ and -.');
    load(id);
  });
  el.period.addEventListener('change', function () {
    if (state.access) load(state.userId);
  });
  el.refresh.addEventListener('click', function () {
    // A refresh also brings students who became active since.
    if (state.access === 'token') load(null);
    else connect();
  });

  state.credential = sessionStorage.getItem(STORAGE_KEY) || '';
  if (state.credential) el.credential.placeholder = 'a credential is in use (kept in this tab only)';
  if (typeof vegaEmbed !== 'function') showBanner('The chart library did not load: /assets/vega-embed/vega-embed.min.js.');
  connect();
})();
