// The box viewer (js_on_load of a gr.HTML; `element`, `props`, `trigger`, `watch` come from Gradio).
// It holds the final-stage payload of one capture and RPN setting (inspectors/roi/final_stage.py) and applies the
// detection-score, detection-NMS and detections-per-image sliders itself, on every input event, with no server
// round trip. select() is step for step inspectors.roi.final_stage.apply_final_stage.
(() => {
  const root = element.querySelector('.lens-viewer');
  const view = root.dataset.view;
  const img = root.querySelector('.lens-viewer-img');
  const svg = root.querySelector('.lens-viewer-svg');
  const labelsLayer = root.querySelector('.lens-viewer-labels');
  const tip = root.querySelector('.lens-viewer-tip');
  const countLine = root.querySelector('.lens-viewer-count');
  const side = root.querySelector('.lens-viewer-side');
  const NS = 'http://www.w3.org/2000/svg';
  const LABELLED = 8;
  const LABELLED_PROPOSALS = 5;
  const FINAL_KEYS = ['box_score_thresh', 'box_nms_thresh', 'box_detections_per_img'];  // labels on the highest-scoring boxes only; the rest on hover
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  const state = {data: null, payloadKey: null, p: null, q: null, settings: {}, shown: [], exact: true};

  // The largest float32 that is <= x (as numpy: float32(x), stepped down when it rounded up).
  function float32AtMost(x) {
    f32[0] = x;
    if (f32[0] > x) {
      if (f32[0] > 0) i32[0] -= 1; else if (f32[0] < 0) i32[0] += 1; else i32[0] = 0x80000001 | 0;
    }
    return f32[0];
  }
  // inspectors.rpn.nms_grid.threshold_index: the grid step that decides every float32 IoU as `value` does.
  function thresholdIndex(grid, value) {
    value = Number(value);
    for (let k = 0; k < grid.length; k++) {
      const low = Math.min(grid[k], value), high = Math.max(grid[k], value);
      if (float32AtMost(high) <= low) return k;
    }
    return null;
  }

  function decode(payload) {
    const n = payload.scores.length;
    const p = {
      n, raw: payload, boxes: payload.boxes, scoresRaw: payload.scores,
      scores: Float64Array.from(payload.scores, Math.fround),
      labels: payload.labels, proposal: payload.proposal, level: payload.level,
      grid: payload.nms_grid, maxDetections: payload.max_detections,
      tables: payload.bits.map((b) => Int32Array.from(b)),
      regimes: payload.regimes.map((r) => ({above: Math.fround(r.above), shift: r.max_coordinate, bits: null,
                                             table: r.bits})),
      overrides: new Map(payload.overrides.map((o) => [Math.fround(o.score) + '|' + o.nms, o.positions])),
      scoreGrid: new Set(payload.score_grid.map(Math.fround)),
    };
    p.regimes.forEach((r) => { r.bits = p.tables[r.table]; });
    return p;
  }

  // The positions (into the payload) the final stage keeps at these settings, in the engine's order; null where
  // the payload cannot decide exactly (an NMS value off the slider's steps, more detections than it holds).
  function select(p, score, nms, perImage) {
    const threshold = Math.fround(Number(score));
    const k = thresholdIndex(p.grid, nms);
    perImage = Math.trunc(Number(perImage));
    if (k === null || !(perImage <= p.maxDetections) || Number.isNaN(threshold)) return null;
    let regime = null;
    for (const r of p.regimes) if (r.above > threshold) regime = r;
    const out = [];
    if (regime === null || perImage <= 0) return out;
    if (regime.shift === null) {
      // Class by class, torchvision's unstable sort may order tied scores its own way: the payload has that order
      // for the score slider's steps only (a score typed in between is the server's to draw).
      if (!p.scoreGrid.has(threshold)) return null;
      const override = p.overrides.get(threshold + '|' + k);
      if (override) return override.slice(0, perImage);
    }
    const bits = regime.bits, scores = p.scores;
    for (let i = 0; i < p.n; i++) {
      if (!(scores[i] > threshold)) break;
      if ((bits[i] >> k) & 1) {
        out.push(i);
        if (out.length === perImage) break;
      }
    }
    return out;
  }

  function color(label) {
    const palette = state.data.palette;
    return palette[label % palette.length];
  }

  // Dark text on light class colours (yellow, white), white on the others.
  function ink(hex) {
    const v = parseInt(hex.slice(1), 16);
    const luminance = 0.299 * (v >> 16) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255);
    return luminance > 160 ? '#111' : '#fff';
  }

  function iouWithTruth(item) {
    const gt = state.data.ground_truth || [];
    const b = item.box;
    let best = null;
    for (const g of gt) {
      if (!isProposals() && g.label !== undefined && g.label !== null && g.label !== item.label) continue;
      const w = Math.max(0, Math.min(b[2], g.box[2]) - Math.max(b[0], g.box[0]));
      const h = Math.max(0, Math.min(b[3], g.box[3]) - Math.max(b[1], g.box[1]));
      const inter = w * h;
      const union = (b[2] - b[0]) * (b[3] - b[1]) + (g.box[2] - g.box[0]) * (g.box[3] - g.box[1]) - inter;
      const iou = union > 0 ? inter / union : 0;
      if (best === null || iou > best) best = iou;
    }
    return best;
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
  }

  function sameSettings(a, b) {
    return a && b && FINAL_KEYS.every((key) => Number(a[key]) === Number(b[key]));
  }

  // What to draw at the current settings, in the engine's order: selected from the payload, or — for a setting the
  // payload cannot decide (an NMS value off the slider's steps, more detections than it holds) — the server's own
  // detections once its reply for exactly this setting is in; null until then.
  function items() {
    const data = state.data, p = state.p, s = state.settings;
    const shown = p ? select(p, s.box_score_thresh, s.box_nms_thresh, s.box_detections_per_img) : null;
    if (shown !== null) {
      return shown.map((i) => ({box: p.boxes.slice(4 * i, 4 * i + 4), score: p.scores[i], raw: p.scoresRaw[i],
                                label: p.labels[i], proposal: p.proposal[i], level: p.level[i]}));
    }
    if (data.detections && sameSettings(data.settings, s)) {
      return data.detections.map((d) => ({box: d.box, score: Math.fround(d.score), raw: d.score, label: d.label,
                                          proposal: d.proposal, level: d.level}));
    }
    return null;
  }

  // The proposals view: the engine's first N proposals (after the RPN's NMS), in its order.
  function proposalItems() {
    const q = state.q, n = Math.max(0, Math.trunc(Number(state.settings.top_n)));
    const out = [];
    for (let i = 0; i < Math.min(n, q.n); i++) {
      out.push({box: q.boxes.slice(4 * i, 4 * i + 4), score: Math.fround(q.scores[i]), raw: q.scores[i],
                level: q.levels[i], index: i});
    }
    return out;
  }

  function ready() {
    return isProposals() ? state.q !== null : state.data !== null;
  }
  function isProposals() { return state.data && state.data.mode === 'proposals'; }
  // A static view (the Ground-truth tab's object): the server sends the boxes to draw; no slider applies here.
  function isStatic() { return state.data && state.data.mode === 'static'; }
  function sizeOf() {
    if (isProposals()) return state.q.image_size;
    if (state.p) return state.p.raw.image_size;
    return state.data.image_size;
  }

  // A drawing is rewritten only when what it shows changed: a release that brings what the drag already drew
  // (or the server's detections, then the payload's identical selection) leaves the page as it is.
  let drawnSignature = null;
  function draw() {
    const data = state.data;
    if (isStatic()) { drawStatic(); return; }
    if (!data || !ready() || (!isProposals() && !state.p && !data.detections)) {
      if (!data) { svg.innerHTML = ''; labelsLayer.innerHTML = ''; countLine.textContent = ''; drawnSignature = null; }
      return;
    }
    const s = state.settings;
    const proposals = isProposals();
    const shown = proposals ? proposalItems() : items();
    state.exact = shown !== null;
    if (root.dataset.exact !== String(state.exact)) root.dataset.exact = String(state.exact);
    if (shown === null) {   // keep the last exact drawing
      if (countLine.textContent !== data.texts.waiting) countLine.textContent = data.texts.waiting;
      drawnSignature = null;
      return;
    }
    const width = root.querySelector('.lens-viewer-stage').clientWidth || 1;
    const keys = proposals ? ['top_n'] : FINAL_KEYS;
    const settingsText = keys.map((key) => (key === 'box_score_thresh' || key === 'box_nms_thresh'
      ? Number(s[key]) : Math.trunc(Number(s[key])))).join('|');
    const signature = JSON.stringify([view, settingsText, data.followed, data.ground_truth, data.texts, width,
      shown.map((item) => [item.raw, item.label, item.level, item.proposal, item.index, ...item.box].join(','))]);
    state.shown = shown;
    if (signature === drawnSignature) return;
    drawnSignature = signature;
    const [W, H] = sizeOf();
    const categories = proposals ? [] : (state.p ? state.p.raw.categories : data.categories || []);
    const name = (item) => categories[item.label] ?? String(item.label);
    const top = shown.length ? shown[0].score : 1;
    const tint = (item) => color(proposals ? item.level : item.label);
    const parts = [];
    // Weakest first, so the strongest boxes end on top; data-rank is the engine's order.
    for (let r = shown.length - 1; r >= 0; r--) {
      const item = shown[r], b = item.box;
      const opacity = Math.max(0.25, Math.min(1, 0.25 + 0.75 * item.score / Math.max(top, 1e-6)));
      const followed = (proposals ? data.followed === item.index : data.followed === r) ? ' lens-viewer-followed' : '';
      const described = proposals
        ? `data-level="${item.level}" data-score="${item.raw}" data-rank="${r}"`
        : `data-label="${name(item).replace(/"/g, '&quot;')}" data-class="${item.label}" ` +
          `data-score="${item.raw}" data-rank="${r}"`;
      parts.push(`<rect class="lens-viewer-box${followed}" x="${b[0]}" y="${b[1]}" width="${b[2] - b[0]}" ` +
        `height="${b[3] - b[1]}" stroke="${tint(item)}" stroke-opacity="${opacity.toFixed(3)}" ` +
        `data-box="${b.join(',')}" ${described}></rect>`);
    }
    const truth = (data.ground_truth || []).map((g) => `<rect class="lens-viewer-truth" x="${g.box[0]}" ` +
      `y="${g.box[1]}" width="${g.box[2] - g.box[0]}" height="${g.box[3] - g.box[1]}"></rect>`).join('');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.innerHTML = truth + parts.join('');
    // Labels: the highest-scoring boxes, skipping one that would overlap a label already placed.
    const scale = width / W;
    const size = parseFloat(getComputedStyle(labelsLayer).fontSize) || 15;
    const placed = [];
    const labels = [];
    for (let r = 0; r < Math.min(shown.length, proposals ? LABELLED_PROPOSALS : LABELLED); r++) {
      const item = shown[r];   // the strongest only; the rest on hover
      const text = proposals ? `#${r + 1} ${item.score.toFixed(2)}` : `${name(item)} ${item.score.toFixed(2)}`;
      const w = text.length * size * 0.66 + 8;
      const x = Math.max(0, Math.min(item.box[0] * scale, width - w)), y = item.box[1] * scale;
      const rect = [x, y - size * 1.4, x + w, y];
      if (placed.some((q) => rect[0] < q[2] && q[0] < rect[2] && rect[1] < q[3] && q[1] < rect[3])) continue;
      placed.push(rect);
      labels.push(`<span class="lens-viewer-label" style="left:${(100 * x / width).toFixed(3)}%;` +
        `top:${(100 * item.box[1] / H).toFixed(3)}%;background:${tint(item)};` +
        `color:${ink(tint(item))}" data-rank="${r}">` +
        `${text.replace(/</g, '&lt;')}</span>`);
    }
    labelsLayer.innerHTML = labels.join('');
    for (const span of labelsLayer.children) {   // keep every label inside the image (estimates can be short)
      const over = span.offsetLeft + span.offsetWidth - width;
      if (over > 0) span.style.left = `${Math.max(0, span.offsetLeft - over)}px`;
    }
    countLine.textContent = proposals
      ? fmt(data.texts.count, {shown: shown.length, total: state.q.n})
      : fmt(data.texts.count, {
        count: shown.length, score: Number(s.box_score_thresh), nms: Number(s.box_nms_thresh),
        per_image: Math.trunc(Number(s.box_detections_per_img)),
        model: state.p ? state.p.raw.model_count : data.model_count});
    if (!proposals) drawTable(shown, name, tint);
    root.dataset.count = String(shown.length);
    root.dataset.settings = settingsText;
    root.dataset.drawn = String(performance.now());
  }

  // The static view: every box the server sent (data-role, data-stage, data-label, data-score and data-iou as it
  // gave them), the biggest first so that a smaller box stays on top for hover; labels where they do not overlap,
  // and a key below the image with every box's label.
  function drawStatic() {
    const data = state.data, boxes = data.boxes || [];
    const width = root.querySelector('.lens-viewer-stage').clientWidth || 1;
    state.shown = boxes;
    state.exact = true;
    if (root.dataset.exact !== 'true') root.dataset.exact = 'true';
    const signature = JSON.stringify([view, boxes, data.image_size, data.texts, width]);
    if (signature === drawnSignature) return;
    drawnSignature = signature;
    const [W, H] = data.image_size;
    const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
    const order = boxes.map((item, r) => r).sort((a, b) => area(boxes[b].box) - area(boxes[a].box) || a - b);
    const optional = (name, value) => (value === null || value === undefined ? '' : ` data-${name}="${value}"`);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.innerHTML = order.map((r) => {
      const item = boxes[r], b = item.box;
      return `<rect class="lens-viewer-box lens-viewer-role-${esc(item.role)}" x="${b[0]}" y="${b[1]}" ` +
        `width="${b[2] - b[0]}" height="${b[3] - b[1]}" stroke="${esc(item.color)}" data-box="${b.join(',')}" ` +
        `data-role="${esc(item.role)}" data-stage="${esc(item.stage)}" data-label="${esc(item.label)}"` +
        `${optional('score', item.score)}${optional('iou', item.iou)} data-rank="${r}"></rect>`;
    }).join('');
    const scale = width / W;
    const size = parseFloat(getComputedStyle(labelsLayer).fontSize) || 15;
    const placed = [], labels = [];
    boxes.forEach((item, r) => {
      if (!item.text) return;
      const w = item.text.length * size * 0.62 + 8;
      const x = Math.max(0, Math.min(item.box[0] * scale, width - w)), y = item.box[1] * scale;
      const rect = [x, y - size * 1.4, x + w, y];
      if (placed.some((q) => rect[0] < q[2] && q[0] < rect[2] && rect[1] < q[3] && q[1] < rect[3])) return;
      placed.push(rect);
      labels.push(`<span class="lens-viewer-label" style="left:${(100 * x / width).toFixed(3)}%;` +
        `top:${(100 * item.box[1] / H).toFixed(3)}%;background:${esc(item.color)};color:${ink(item.color)}" ` +
        `data-rank="${r}">${esc(item.text)}</span>`);
    });
    labelsLayer.innerHTML = labels.join('');
    for (const span of labelsLayer.children) {
      const over = span.offsetLeft + span.offsetWidth - width;
      if (over > 0) span.style.left = `${Math.max(0, span.offsetLeft - over)}px`;
    }
    countLine.innerHTML = boxes.map((item) => `<span class="lens-viewer-key"><span class="lens-viewer-swatch" ` +
      `style="background:${esc(item.color)}"></span>${esc(item.text || item.name)}</span>`).join('');
    if (side) side.innerHTML = '';
    root.dataset.count = String(boxes.length);
    root.dataset.drawn = String(performance.now());
  }

  // The heavy part (image + payload) comes once per capture and RPN setting; a value without it names it by key,
  // and a viewer that does not have it (mounted later, page reloaded) asks the server for it.
  const heavyByKey = window.__lensHeavy = window.__lensHeavy || new Map();
  function useHeavy(key, heavy) {
    heavyByKey.set(key, heavy);
    while (heavyByKey.size > 6) heavyByKey.delete(heavyByKey.keys().next().value);
    if (state.payloadKey === key && (state.p || state.q)) return;
    if (heavy.payload) state.p = decode(heavy.payload);
    if (heavy.proposals) {
      const q = heavy.proposals;
      state.q = {n: q.scores.length, boxes: q.boxes, scores: q.scores, levels: q.levels, iou: q.iou,
                 level_names: q.level_names, image_size: q.image_size};
    }
    state.payloadKey = key;
  }

  // The payload is needed only once a final-stage slider moves: asked for at once when one does, else a while
  // after the last RPN release when the page is idle (so that the release's reply, drawn from the server's
  // detections, renders first, and a quick series of RPN moves builds no payload for the settings passed by).
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 50));
  const FETCH_AFTER_MS = 1000;
  function fetchNow(key) {
    if (state.fetching === key || state.payloadKey !== key || state.p) return;
    state.fetching = key;
    state.fetches = (state.fetches || 0) + 1;
    server.fetch_payload(key).then((text) => {
      if (state.fetching === key) state.fetching = null;
      if (!text || state.payloadKey !== key) return;
      useHeavy(key, typeof text === 'string' ? JSON.parse(text) : text);
      draw();
    }, () => { if (state.fetching === key) state.fetching = null; });
  }
  function fetchHeavy(key) {
    setTimeout(() => idle(() => fetchNow(key), {timeout: 400}), FETCH_AFTER_MS);
  }

  // The image: sent once per page and capture (shared by the page's viewers), then named by key; a viewer that
  // does not have it asks the server for it.
  const images = window.__lensImages = window.__lensImages || new Map();
  function showImage(url) { if (img.getAttribute('src') !== url) img.setAttribute('src', url); }
  function useImage(data) {
    const key = data.image_key;
    if (!key) return;
    if (data.image) {
      images.set(key, data.image);
      while (images.size > 3) images.delete(images.keys().next().value);
    }
    if (images.has(key)) { showImage(images.get(key)); return; }
    if (state.imageFetch === key) return;
    state.imageFetch = key;
    server.fetch_payload(key).then((url) => {
      if (typeof url !== 'string' || !url) return;
      images.set(key, url);
      if (state.data && state.data.image_key === key) showImage(url);
    });
  }

  function load() {
    let value = props.value;
    if (!value) { state.data = null; state.p = null; state.q = null; draw(); return; }
    const data = typeof value === 'string' ? JSON.parse(value) : value;
    if (data.texts_table) data.texts = Object.assign({}, data.texts, data.texts_table);
    state.data = data;
    state.settings = Object.assign({}, data.settings);
    useImage(data);
    if (data.mode === 'static') { state.p = null; state.q = null; state.payloadKey = null; draw(); return; }
    const key = data.payload_key;
    if (data.heavy) useHeavy(key, data.heavy);
    else if (heavyByKey.has(key)) useHeavy(key, heavyByKey.get(key));
    else if (state.payloadKey !== key) {
      state.p = null;
      state.q = null;
      state.payloadKey = key;
      fetchHeavy(key);
    }
    draw();
  }

  function set(key, value) {
    if (!state.data || !(key in state.settings)) return;
    state.settings[key] = value;
    if (!isProposals() && !state.p && state.payloadKey) fetchNow(state.payloadKey);   // needed now
    draw();
  }

  function tipLines(box, item) {
    const t = state.data.texts, rank = Number(box.dataset.rank);
    if (isStatic()) {   // the numbers as the server gave them (the report's IoU, not one computed here)
      const lines = [`${item.name} · ${item.label}`];
      if (item.score !== null && item.score !== undefined) lines.push(`${t.score} ${Number(item.score).toFixed(3)}`);
      if (item.iou !== null && item.iou !== undefined) lines.push(`${t.iou} ${Number(item.iou).toFixed(2)}`);
      return lines;
    }
    const iou = iouWithTruth(item);
    if (isProposals()) {
      const lines = [`${t.rank} ${rank + 1} · ${t.score} ${item.score.toFixed(4)}`,
                     `${t.level} ${state.q.level_names[item.level] ?? item.level}`];
      if (iou !== null) lines.push(`${t.iou} ${iou.toFixed(2)}`);
      return lines;
    }
    const levelNames = state.p ? state.p.raw.level_names : (state.data.level_names || []);
    const lines = [
      `${box.dataset.label} · ${t.score} ${item.score.toFixed(4)}`,
      `${t.roi} #${item.proposal} · ${t.level} ${levelNames[item.level] ?? item.level}`,
      `${t.rank} ${rank + 1}`,
    ];
    if (iou !== null) lines.push(`${t.iou} ${iou.toFixed(2)}`);
    return lines;
  }

  svg.addEventListener('mouseover', (event) => {
    const box = event.target.closest('.lens-viewer-box');
    if (!box || !state.data) return;
    const item = state.shown[Number(box.dataset.rank)];
    if (!item) return;
    tip.textContent = tipLines(box, item).join('\n');
    tip.hidden = false;
    box.classList.add('lens-viewer-hover');
    if (isStatic()) return;
    highlightRow(Number(box.dataset.rank), box.getAttribute('stroke'));
  });
  // The detections' table and their count per class beside the image, drawn from what the image shows (the
  // same rows as the server's table for /rethreshold: label, score, box in original pixels, RoI #), so that they
  // follow the sliders while dragging, and a hovered box outlines its row.
  function esc(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  }
  function drawTable(shown, name, tint) {
    const t = state.data.texts;
    if (!side || !t.columns) return;
    const head = t.columns.map((c, i) => `<th${i ? ' class="lens-num"' : ''}>${esc(c)}</th>`).join('');
    const rows = shown.map((item, r) => `<tr data-row="${r}"><td><span class="lens-viewer-swatch" ` +
      `style="background:${tint(item)}"></span>${esc(name(item))}</td><td class="lens-num">${item.score.toFixed(3)}` +
      `</td><td class="lens-num">${item.box.map((v) => Math.round(v)).join(', ')}</td>` +
      `<td class="lens-num">${item.proposal}</td></tr>`).join('');
    const counts = new Map();
    for (const item of shown) {
      const key = name(item);
      if (!counts.has(key)) counts.set(key, {n: 0, color: tint(item)});
      counts.get(key).n += 1;
    }
    const ranked = [...counts.entries()].sort((a, b) => b[1].n - a[1].n);   // stable: first seen first on ties
    const most = ranked.length ? ranked[0][1].n : 1;
    const bars = ranked.map(([key, c]) => `<div class="lens-bar-row"><span class="lens-bar-label">${esc(key)}</span>` +
      `<span class="lens-bar" style="width:${Math.max(4, 100 * c.n / most).toFixed(1)}%;background:${c.color};">` +
      `</span><span class="lens-bar-value">${c.n}</span></div>`).join('');
    side.innerHTML = `<div class="lens-viewer-table-wrap"><div class="lens-viewer-caption">${esc(t.table_title)}</div>` +
      `<div class="lens-viewer-scroll"><table class="lens-viewer-table"><thead><tr>${head}</tr></thead>` +
      `<tbody>${rows}</tbody></table></div></div><div class="lens-bars"><div class="lens-bars-title">` +
      `${esc(t.per_class)}</div>${ranked.length ? bars : `<p class="lens-note">${esc(t.none)}</p>`}</div>`;
    highlighted = null;
  }
  let highlighted = null;
  function highlightRow(rank, stroke) {
    if (highlighted) { highlighted.style.outline = ''; highlighted = null; }
    if (!side || rank === null) return;
    const row = side.querySelector(`tr[data-row="${rank}"]`);
    if (!row) return;
    row.style.outline = `3px solid ${stroke}`;
    row.style.outlineOffset = '-3px';
    const scroller = side.querySelector('.lens-viewer-scroll');
    if (scroller && (row.offsetTop < scroller.scrollTop || row.offsetTop + row.offsetHeight >
                     scroller.scrollTop + scroller.clientHeight)) {
      scroller.scrollTop = Math.max(0, row.offsetTop - scroller.clientHeight / 2);
    }
    highlighted = row;
  }
  svg.addEventListener('mousemove', (event) => {
    const r = root.getBoundingClientRect();
    tip.style.left = `${event.clientX - r.left + 14}px`;
    tip.style.top = `${event.clientY - r.top + 14}px`;
  });
  svg.addEventListener('mouseout', (event) => {
    const box = event.target.closest && event.target.closest('.lens-viewer-box');
    if (box) box.classList.remove('lens-viewer-hover');
    tip.hidden = true;
    highlightRow(null, null);
  });
  svg.addEventListener('click', (event) => {
    if (!state.data || !state.data.clickable) return;
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    const scale = state.data.display_scale || 1;
    trigger('select', {index: [local.x * scale, local.y * scale], value: null});
  });

  window.lensViewers = window.lensViewers || {};
  window.lensViewers[view] = {set, select: (s, n, k) => state.p && select(state.p, s, n, k), state, redraw: draw};
  window.lensViewerSet = window.lensViewerSet || ((key, value) => {
    for (const v of Object.values(window.lensViewers)) v.set(key, value);
  });
  watch('value', load);
  load();
})();
