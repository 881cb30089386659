// Regline's web console. Reads the gateway's JSON API (/api/v1, documented
// in docs/console.md) every few seconds and draws what it says; the one
// thing it changes is a dead letter's replay. The admin token is kept in
// sessionStorage (gone with the tab), the language in localStorage.
'use strict';

(() => {
  const REFRESH_MS = 5000;

  // The domain's own words (docs/console.md, "Terms"): the Measures'
  // Chinese terms first, English second.
  const STRINGS = {
    'zh-CN': {
      title: 'Regline 网络直播营销监管报文网关',
      switchTo: 'English',
      tokenPrompt: '管理令牌',
      signIn: '登录',
      signOut: '退出',
      tokenRefused: '令牌无效，请重新输入。',
      unreachable: '无法连接网关：',
      updated: '更新于',
      platforms: '直播营销平台',
      platform: '平台',
      connection: '连接',
      connected: '已连接',
      disconnected: '未连接',
      never: '从未连接',
      since: '自',
      queued: '排队',
      inFlight: '投递中',
      deadLettered: '死信',
      overdueCount: '逾期',
      catalogApplied: '已应用负面目录版本',
      catalogCurrent: '负面目录当前版本',
      behind: '落后',
      stale: '声明时已过期',
      none: '无',
      audit: '审计链',
      auditIntact: '完整',
      auditBroken: '已损坏',
      auditUnverified: '无法校验',
      entries: '条记录',
      head: '链头',
      fullWalk: '上次全链校验',
      matrix: '投递矩阵（最近报文 × 接收方）',
      message: '报文',
      kind: '类型',
      sender: '发送方',
      recipient: '接收方',
      acceptedAt: '网关接收',
      directive: '指令',
      department: '部门',
      action: '处置措施',
      missingStage: '未到阶段',
      deadline: '期限',
      overdue: '逾期事项',
      overdueBy: '逾期时长',
      escalations: '催办次数',
      late: '迟',
      lateNow: '逾期',
      ackDeadline: '受理期限',
      completionDeadline: '完成期限',
      complaints: '投诉统计（按平台、按周期）',
      received: '收到',
      resolved: '已处理',
      resolvedInTime: '按时处理',
      noReports: '尚无投诉统计报告。',
      deadLetters: '死信队列',
      attempts: '尝试次数',
      deadLetteredAt: '转入死信',
      lastError: '最后错误',
      replay: '重放',
      replayed: '已重放，重新排队：',
      replayFailed: '重放失败：',
      nothing: '暂无',
      legend: '阶段：已接收 → 已受理 → 已完成（或已拒绝）。红色为逾期或迟到。',
      stage: {
        queued: '排队中',
        in_flight: '投递中',
        delivered: '已接收',
        accepted: '已受理',
        completed: '已完成',
        rejected: '已拒绝',
        expired: '已过期',
        dead_lettered: '死信',
      },
      kinds: {
        directive: '指令',
        catalogUpdate: '负面目录更新',
        catalogSnapshot: '负面目录快照',
        taxAssistanceRequest: '协税请求',
        taxAssistanceResponse: '协税答复',
        acknowledgement: '回执',
        complaintStatistics: '投诉统计',
        complianceAttestation: '合规声明',
        signedAgreement: '书面协议',
        escalation: '逾期催办',
      },
      actions: {
        popUpWarning: '弹窗提示',
        prominentLabel: '显著标识',
        restrictFunctions: '限制功能',
        restrictTraffic: '限制流量',
        suspendBroadcast: '暂停直播',
        closeAccount: '关闭账号',
        barReRegistration: '禁止重新注册',
        addToBlacklist: '列入黑名单',
        removeFromBlacklist: '移出黑名单',
        designateKeyLiveRoom: '列为重点直播间',
        extendContentRetention: '延长内容保存',
        preserveEvidence: '保存证据',
        provideInformation: '提供信息',
        takeDownProduct: '下架商品',
        rectify: '整改',
      },
      subjects: {
        wholePlatform: '平台整体',
        liveRoom: '直播间（直播间运营者）',
        account: '账号',
        marketer: '直播营销人员',
        product: '商品',
        mcnAgency: '服务机构（MCN）',
      },
      severities: {low: '低', medium: '中', high: '高', critical: '紧急'},
      departments: {
        cac: '网信办',
        mps: '公安部',
        mofcom: '商务部',
        mct: '文化和旅游部',
        sta: '税务总局',
        samr: '市场监管总局',
        nrta: '广电总局',
      },
      missing: {accepted: '受理', completed: '完成'},
      units: {d: '天', h: '小时', m: '分', s: '秒'},
    },
    en: {
      title: 'Regline live-marketing regulatory gateway',
      switchTo: '中文',
      tokenPrompt: 'Admin token',
      signIn: 'Sign in',
      signOut: 'Sign out',
      tokenRefused: 'The token was refused; enter it again.',
      unreachable: 'Cannot reach the gateway: ',
      updated: 'Updated',
      platforms: 'Live marketing platforms',
      platform: 'Platform',
      connection: 'Connection',
      connected: 'connected',
      disconnected: 'disconnected',
      never: 'never connected',
      since: 'since',
      queued: 'Queued',
      inFlight: 'In flight',
      deadLettered: 'Dead letters',
      overdueCount: 'Overdue',
      catalogApplied: 'Negative catalog applied',
      catalogCurrent: 'Negative catalog, current version',
      behind: 'behind',
      stale: 'stale when attested',
      none: 'none',
      audit: 'Audit chain',
      auditIntact: 'intact',
      auditBroken: 'BROKEN',
      auditUnverified: 'could not be verified',
      entries: 'entries',
      head: 'head',
      fullWalk: 'last full check',
      matrix: 'Delivery matrix (recent messages × recipients)',
      message: 'Message',
      kind: 'Kind',
      sender: 'Sender',
      recipient: 'Recipient',
      acceptedAt: 'Accepted by gateway',
      directive: 'Directive',
      department: 'Department',
      action: 'Action',
      missingStage: 'Missing stage',
      deadline: 'Deadline',
      overdue: 'Overdue',
      overdueBy: 'Overdue by',
      escalations: 'Escalations',
      late: 'late',
      lateNow: 'overdue',
      ackDeadline: 'Acknowledge by',
      completionDeadline: 'Complete by',
      complaints: 'Complaint statistics (per platform, per period)',
      received: 'Received',
      resolved: 'Resolved',
      resolvedInTime: 'Resolved in time',
      noReports: 'No complaint statistics reported yet.',
      deadLetters: 'Dead letters',
      attempts: 'Attempts',
      deadLetteredAt: 'Dead-lettered',
      lastError: 'Last error',
      replay: 'Replay',
      replayed: 'Replayed; queued again for: ',
      replayFailed: 'Replay failed: ',
      nothing: 'none',
      legend: 'Stages: received → accepted → completed (or rejected). Red: overdue or late.',
      stage: {
        queued: 'queued',
        in_flight: 'in flight',
        delivered: 'received',
        accepted: 'accepted',
        completed: 'completed',
        rejected: 'rejected',
        expired: 'expired',
        dead_lettered: 'dead letter',
      },
      kinds: {
        directive: 'directive',
        catalogUpdate: 'negative catalog update',
        catalogSnapshot: 'negative catalog snapshot',
        taxAssistanceRequest: 'tax assistance request',
        taxAssistanceResponse: 'tax assistance response',
        acknowledgement: 'acknowledgement',
        complaintStatistics: 'complaint statistics',
        complianceAttestation: 'compliance attestation',
        signedAgreement: 'signed agreement',
        escalation: 'escalation',
      },
      actions: {
        popUpWarning: 'pop-up warning',
        prominentLabel: 'prominent label',
        restrictFunctions: 'restrict functions',
        restrictTraffic: 'restrict traffic',
        suspendBroadcast: 'suspend broadcast',
        closeAccount: 'close account',
        barReRegistration: 'bar re-registration',
        addToBlacklist: 'add to blacklist',
        removeFromBlacklist: 'remove from blacklist',
        designateKeyLiveRoom: 'designate key live room',
        extendContentRetention: 'extend content retention',
        preserveEvidence: 'preserve evidence',
        provideInformation: 'provide information',
        takeDownProduct: 'take down product',
        rectify: 'rectify',
      },
      subjects: {
        wholePlatform: 'whole platform',
        liveRoom: 'live room (operator)',
        account: 'account',
        marketer: 'live marketer',
        product: 'product',
        mcnAgency: 'MCN agency',
      },
      severities: {low: 'low', medium: 'medium', high: 'high', critical: 'critical'},
      departments: {
        cac: 'CAC',
        mps: 'MPS',
        mofcom: 'MOFCOM',
        mct: 'MCT',
        sta: 'STA',
        samr: 'SAMR',
        nrta: 'NRTA',
      },
      missing: {accepted: 'accepted', completed: 'completed'},
      units: {d: 'd ', h: 'h ', m: 'm ', s: 's'},
    },
  };

  let lang = localStorage.getItem('regline.lang') === 'en' ? 'en' : 'zh-CN';
  let token = sessionStorage.getItem('regline.token') || '';
  let timeZone = 'Asia/Shanghai';
  let data = null;  // the last answers, redrawn on a language switch
  let timer = null;

  const $ = (id) => document.getElementById(id);
  const t = (key) => STRINGS[lang][key] ?? key;
  const term = (table, key) => (STRINGS[lang][table] || {})[key] ?? key;

  // An element with attributes and children (strings become text nodes).
  function el(tag, attrs = {}, ...children) {
    const svg = ['svg', 'g', 'rect', 'line', 'text', 'path', 'title'].includes(tag);
    const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // A formatter in the configured zone; in UTC (said so) when the browser
  // does not know that zone.
  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(lang, { timeZone, ...options });
    } catch (e) {
      return new Intl.DateTimeFormat(lang, { timeZone: 'UTC', timeZoneName: 'short', ...options });
    }
  }

  function formatTime(ms) {
    if (!ms) return '—';
    return formatter({
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    }).format(new Date(ms));
  }

  function formatPeriod(startMs) {
    return formatter({ year: 'numeric', month: '2-digit' }).format(new Date(startMs));
  }

  function formatDuration(ms) {
    const u = STRINGS[lang].units;
    let s = Math.max(0, Math.round(ms / 1000));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const parts = [];
    if (d) parts.push(d + u.d);
    if (h) parts.push(h + u.h);
    if (m && !d) parts.push(m + u.m);
    if (!d && !h && (s || parts.length === 0)) parts.push(s + u.s);
    return parts.join('').trim();
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    $('lang').textContent = t('switchTo');
    document.title = t('title');
    $('matrix-legend').textContent = t('legend');
    if (data) render();
  }

  async function api(path, options = {}) {
    const response = await fetch('/api/v1' + path, {
      ...options,
      headers: { Authorization: 'Bearer ' + token },
      cache: 'no-store',
    });
    if (response.status === 401 || response.status === 403) throw Object.assign(new Error('token'), { auth: true });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    return body;
  }

  async function refresh() {
    try {
      const [overview, messages, overdue, reports, dead] = await Promise.all([
        api('/overview'), api('/messages?limit=50'), api('/overdue'), api('/reports'), api('/dead-letters'),
      ]);
      data = { overview, messages, overdue, reports, dead };
      timeZone = overview.time_zone || timeZone;
      showConsole();
      render();
      $('status-line').classList.remove('error');
    } catch (e) {
      if (e.auth) {
        signOut(t('tokenRefused'));
        return;
      }
      $('status-line').textContent = t('unreachable') + e.message;
      $('status-line').classList.add('error');
    }
  }

  function render() {
    const o = data.overview;
    $('gateway-info').textContent = `${o.gateway} · v${o.version} · ${o.time_zone}`;
    $('clock').textContent = `${t('updated')} ${formatTime(o.now_ms)}`;
    $('clock').dataset.nowMs = o.now_ms;
    renderAudit(o);
    renderPlatforms(o);
    renderMatrix(o, data.messages);
    renderOverdue(data.overdue);
    renderChart(data.reports);
    renderDeadLetters(data.dead);
  }

  function renderAudit(o) {
    const a = o.audit;
    let verdict;
    let cls;
    if (!a.verified) {
      verdict = `${t('auditUnverified')}: ${a.error}`;
      cls = 'bad';
    } else if (a.intact) {
      verdict = `${t('auditIntact')} · ${a.checked} ${t('entries')} · ${t('head')} #${a.head_seq} ${a.head_hash.slice(0, 16)}…`;
      if (a.full_walk_at_ms) verdict += ` · ${t('fullWalk')} ${formatTime(a.full_walk_at_ms)}`;
      cls = 'good';
    } else {
      verdict = `${t('auditBroken')} · #${a.first_broken}: ${a.problem}`;
      cls = 'bad';
    }
    $('audit').replaceChildren(
      el('span', { class: 'label' }, t('audit') + '：'),
      el('span', { id: 'audit-verdict', class: cls, 'data-intact': a.verified && a.intact }, verdict),
      el('span', { class: 'label catalog' }, `${t('catalogCurrent')}：`),
      el('span', { id: 'catalog-current' }, o.catalog_version ? 'v' + o.catalog_version : t('none')));
  }

  function renderPlatforms(o) {
    const rows = o.platforms.map((p) => {
      const conn = p.connected ? t('connected') : p.since_ms ? t('disconnected') : t('never');
      const since = p.since_ms ? ` ${t('since')} ${formatTime(p.since_ms)}` : '';
      let catalog = p.catalog_version ? 'v' + p.catalog_version : t('none');
      if (p.catalog_behind) catalog += ` (${t('behind')})`;
      if (p.catalog_stale) catalog += ` (${t('stale')})`;
      return el('tr', { 'data-platform': p.platform },
        el('td', {}, p.platform),
        el('td', { class: p.connected ? 'good' : 'muted', 'data-connected': p.connected }, conn + since),
        el('td', { class: 'num' }, p.queued),
        el('td', { class: 'num' }, p.in_flight),
        el('td', { class: 'num' + (p.dead_lettered ? ' bad' : '') }, p.dead_lettered),
        el('td', { class: 'num' + (p.overdue ? ' bad' : '') }, p.overdue),
        el('td', { class: p.catalog_behind ? 'warn' : '' }, catalog));
    });
    $('platforms').tBodies[0].replaceChildren(...rows);
  }

  // The columns: every registered platform, then any other recipient seen.
  function matrixColumns(o, messages) {
    const columns = o.platforms.map((p) => p.platform);
    for (const m of messages) {
      for (const r of m.recipients) if (!columns.includes(r.recipient)) columns.push(r.recipient);
    }
    return columns;
  }

  function cellFor(m, r) {
    const lateParts = [];
    if (r.ack_late_ms > 0) lateParts.push(`${r.ack_pending ? t('lateNow') : t('late')} ${formatDuration(r.ack_late_ms)}`);
    if (r.completion_late_ms > 0 && !(r.ack_pending && r.ack_late_ms > 0)) {
      lateParts.push(`${r.completion_pending ? t('lateNow') : t('late')} ${formatDuration(r.completion_late_ms)}`);
    }
    const title = [
      `${term('stage', 'delivered')}: ${formatTime(r.received_ms)}`,
      `${term('stage', 'accepted')}: ${formatTime(r.accepted_ms)}`,
      `${term('stage', 'completed')}: ${formatTime(r.completed_ms)}`,
      r.rejected_ms ? `${term('stage', 'rejected')}: ${formatTime(r.rejected_ms)} ${r.reason}` : null,
      m.ack_deadline_ms ? `${t('ackDeadline')}: ${formatTime(m.ack_deadline_ms)}` : null,
      m.completion_deadline_ms ? `${t('completionDeadline')}: ${formatTime(m.completion_deadline_ms)}` : null,
      `${t('attempts')}: ${r.attempts}`,
    ].filter(Boolean).join('\n');
    return el('td', {
      class: `cell stage-${r.state}${lateParts.length ? ' late' : ''}`,
      'data-message': m.message_id, 'data-recipient': r.recipient, 'data-stage': r.state, title,
    },
    el('span', { class: 'stage' }, term('stage', r.state)),
    lateParts.length ? el('span', { class: 'lateness' }, lateParts.join(' · ')) : null);
  }

  function describe(m) {
    const kind = term('kinds', m.kind);
    if (!m.directive || !m.directive.action) return kind;
    const d = m.directive;
    return `${kind} · ${term('departments', d.department)} · ${term('actions', d.action)} · ` +
      `${term('subjects', d.subject)} · ${term('severities', d.severity)}`;
  }

  function renderMatrix(o, answer) {
    const messages = answer.messages;
    const columns = matrixColumns(o, messages);
    $('matrix').tHead.replaceChildren(el('tr', {},
      el('th', {}, t('message')), el('th', {}, t('kind')), el('th', {}, t('sender')), el('th', {}, t('acceptedAt')),
      columns.map((c) => el('th', { class: 'recipient' }, c))));
    const rows = messages.map((m) => {
      const byRecipient = new Map(m.recipients.map((r) => [r.recipient, r]));
      return el('tr', { 'data-message': m.message_id },
        el('td', { class: 'mono', title: m.message_id }, `#${m.seq} ${m.message_id.slice(0, 12)}…`),
        el('td', {}, describe(m)),
        el('td', {}, m.sender),
        el('td', { class: 'nowrap' }, formatTime(m.accepted_ms)),
        columns.map((c) => (byRecipient.has(c) ? cellFor(m, byRecipient.get(c)) : el('td', { class: 'cell empty' }))));
    });
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 4 + columns.length, class: 'muted' }, t('nothing'))));
    $('matrix').tBodies[0].replaceChildren(...rows);
  }

  function renderOverdue(answer) {
    const rows = answer.overdue.map((i) => el('tr', { 'data-directive': i.directive_id, 'data-platform': i.platform },
      el('td', { class: 'mono', title: i.directive_id }, `#${i.seq} ${i.directive_id.slice(0, 12)}…`),
      el('td', {}, i.platform),
      el('td', {}, term('departments', i.department.toLowerCase())),
      el('td', {}, term('actions', i.action)),
      el('td', {}, term('missing', i.missing_stage)),
      el('td', { class: 'nowrap' }, formatTime(i.deadline_ms)),
      el('td', { class: 'bad' }, formatDuration(i.overdue_ms)),
      el('td', { class: 'num' }, i.escalations)));
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, t('nothing'))));
    $('overdue').tBodies[0].replaceChildren(...rows);
  }

  // Grouped bars: one group per period, one bar per platform, drawn as SVG.
  function renderChart(answer) {
    const measure = document.querySelector('input[name="measure"]:checked').value;
    const reports = answer.reports.filter((r) => r.problem === undefined);
    if (reports.length === 0) {
      $('chart').replaceChildren(el('p', { class: 'muted' }, t('noReports')));
      return;
    }
    const periods = [...new Set(reports.map((r) => r.period_start_ms))].sort((a, b) => a - b);
    const platforms = [...new Set(reports.map((r) => r.platform))].sort();
    const value = new Map(reports.map((r) => [`${r.platform}@${r.period_start_ms}`, r[measure]]));
    const highest = Math.max(1, ...reports.map((r) => r[measure]));
    const step = niceStep(highest);
    const max = Math.ceil(highest / step) * step;
    const W = 760, H = 260, left = 48, bottom = 36, top = 16, right = 140;
    const plotW = W - left - right, plotH = H - top - bottom;
    const groupW = plotW / periods.length;
    const barW = Math.max(4, Math.min(40, (groupW * 0.8) / platforms.length));
    const y = (v) => top + plotH - (v / max) * plotH;
    const svg = el('svg', { id: 'complaints-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('complaints') });
    for (let v = 0; v <= max; v += step) {
      svg.append(el('line', { class: 'grid', x1: left, x2: left + plotW, y1: y(v), y2: y(v) }),
        el('text', { class: 'axis', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
    }
    periods.forEach((p, i) => {
      const x0 = left + i * groupW + (groupW - barW * platforms.length) / 2;
      platforms.forEach((name, j) => {
        const v = value.get(`${name}@${p}`);
        if (v === undefined) return;
        svg.append(el('rect', {
          class: `bar series-${j % 6}`, x: x0 + j * barW, y: y(v), width: barW - 2, height: top + plotH - y(v),
          'data-platform': name, 'data-period': p, 'data-value': v,
        }, el('title', {}, `${name} ${formatPeriod(p)}: ${v}`)));
      });
      svg.append(el('text', { class: 'axis', x: left + i * groupW + groupW / 2, y: H - bottom + 18, 'text-anchor': 'middle' },
        formatPeriod(p)));
    });
    svg.append(el('line', { class: 'axis-line', x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH }));
    platforms.forEach((name, j) => {
      svg.append(el('rect', { class: `swatch series-${j % 6}`, x: W - right + 16, y: top + j * 20, width: 12, height: 12 }),
        el('text', { class: 'legend', x: W - right + 34, y: top + j * 20 + 11 }, name));
    });
    $('chart').replaceChildren(svg);
  }

  function niceStep(max) {
    const raw = max / 5;
    const p = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    for (const m of [1, 2, 5, 10]) if (raw <= m * p) return Math.max(1, m * p);
    return Math.max(1, 10 * p);
  }

  function renderDeadLetters(answer) {
    const rows = answer.dead_letters.map((d) => el('tr', { 'data-message': d.message_id, 'data-recipient': d.recipient },
      el('td', { class: 'mono', title: d.message_id }, `#${d.seq} ${d.message_id.slice(0, 12)}…`),
      el('td', {}, term('kinds', d.kind)),
      el('td', {}, d.sender),
      el('td', {}, d.recipient),
      el('td', { class: 'num' }, d.attempts),
      el('td', { class: 'nowrap' }, formatTime(d.dead_lettered_ms)),
      el('td', { class: 'reason' }, d.reason),
      el('td', {}, el('button', {
        type: 'button', class: 'replay', 'data-replay': `${d.seq}/${d.recipient}`,
        onclick: (e) => replay(e.currentTarget, d),
      }, t('replay')))));
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, t('nothing'))));
    $('dead-letters').tBodies[0].replaceChildren(...rows);
  }

  async function replay(button, d) {
    button.disabled = true;
    try {
      const answer = await api(`/dead-letters/${d.seq}/${encodeURIComponent(d.recipient)}/replay`, { method: 'POST' });
      $('status-line').textContent = t('replayed') + answer.requeued.join(', ');
      $('status-line').classList.remove('error');
    } catch (e) {
      $('status-line').textContent = t('replayFailed') + e.message;
      $('status-line').classList.add('error');
    }
    await refresh();
  }

  function showConsole() {
    $('token-form').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    if (!timer) timer = setInterval(refresh, REFRESH_MS);
  }

  function signOut(message = '') {
    token = '';
    sessionStorage.removeItem('regline.token');
    clearInterval(timer);
    timer = null;
    $('console').hidden = true;
    $('sign-out').hidden = true;
    $('token-form').hidden = false;
    $('token-error').textContent = message;
    $('token').focus();
  }

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem('regline.token', token);
    $('token').value = '';
    refresh();
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh-CN' : 'en';
    localStorage.setItem('regline.lang', lang);
    applyLanguage();
  });
  for (const input of document.querySelectorAll('input[name="measure"]')) {
    input.addEventListener('change', () => data && renderChart(data.reports));
  }

  applyLanguage();
  if (token) refresh();
  else signOut();
})();
