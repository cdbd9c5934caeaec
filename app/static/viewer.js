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
  const NS = 'http://www.w3.org/2000/svg';
  const LABELLED = 8;
  const FINAL_KEYS = ['box_score_thresh', 'box_nms_thresh', 'box_detections_per_img'];  // labels on the highest-scoring boxes only; the rest on hover
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  const state = {data: null, payloadKey: null, p: null, settings: {}, shown: [], exact: true};

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
      if (g.label !== undefined && g.label !== null && g.label !== item.label) continue;
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
    const shown = select(p, s.box_score_thresh, s.box_nms_thresh, s.box_detections_per_img);
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

  function draw() {
    const data = state.data, p = state.p;
    if (!data || !p) { svg.innerHTML = ''; labelsLayer.innerHTML = ''; countLine.textContent = ''; return; }
    const s = state.settings;
    const shown = items();
    state.exact = shown !== null;
    root.dataset.exact = String(state.exact);
    if (shown === null) { countLine.textContent = data.texts.waiting; return; }  // keep the last exact drawing
    state.shown = shown;
    const [W, H] = p.raw.image_size;
    const name = (item) => p.raw.categories[item.label] ?? String(item.label);
    const top = shown.length ? shown[0].score : 1;
    const parts = [];
    // Weakest first, so the strongest boxes end on top; data-rank is the engine's order.
    for (let r = shown.length - 1; r >= 0; r--) {
      const item = shown[r], b = item.box;
      const opacity = Math.max(0.25, Math.min(1, 0.25 + 0.75 * item.score / Math.max(top, 1e-6)));
      const followed = data.followed === r ? ' lens-viewer-followed' : '';
      parts.push(`<rect class="lens-viewer-box${followed}" x="${b[0]}" y="${b[1]}" width="${b[2] - b[0]}" ` +
        `height="${b[3] - b[1]}" stroke="${color(item.label)}" stroke-opacity="${opacity.toFixed(3)}" ` +
        `data-box="${b.join(',')}" data-label="${name(item).replace(/"/g, '&quot;')}" data-class="${item.label}" ` +
        `data-score="${item.raw}" data-rank="${r}"></rect>`);
    }
    const truth = (data.ground_truth || []).map((g) => `<rect class="lens-viewer-truth" x="${g.box[0]}" ` +
      `y="${g.box[1]}" width="${g.box[2] - g.box[0]}" height="${g.box[3] - g.box[1]}"></rect>`).join('');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.innerHTML = truth + parts.join('');
    // Labels: the highest-scoring boxes, skipping one that would overlap a label already placed.
    const width = root.querySelector('.lens-viewer-stage').clientWidth || 1;
    const scale = width / W;
    const size = parseFloat(getComputedStyle(labelsLayer).fontSize) || 15;
    const placed = [];
    const labels = [];
    for (let r = 0; r < Math.min(shown.length, LABELLED); r++) {   // the strongest only; the rest on hover
      const item = shown[r];
      const text = `${name(item)} ${item.score.toFixed(2)}`;
      const w = text.length * size * 0.66 + 8;
      const x = Math.max(0, Math.min(item.box[0] * scale, width - w)), y = item.box[1] * scale;
      const rect = [x, y - size * 1.4, x + w, y];
      if (placed.some((q) => rect[0] < q[2] && q[0] < rect[2] && rect[1] < q[3] && q[1] < rect[3])) continue;
      placed.push(rect);
      labels.push(`<span class="lens-viewer-label" style="left:${(100 * x / width).toFixed(3)}%;` +
        `top:${(100 * item.box[1] / H).toFixed(3)}%;background:${color(item.label)};` +
        `color:${ink(color(item.label))}" data-rank="${r}">` +
        `${text.replace(/</g, '&lt;')}</span>`);
    }
    labelsLayer.innerHTML = labels.join('');
    for (const span of labelsLayer.children) {   // keep every label inside the image (estimates can be short)
      const over = span.offsetLeft + span.offsetWidth - width;
      if (over > 0) span.style.left = `${Math.max(0, span.offsetLeft - over)}px`;
    }
    countLine.textContent = fmt(data.texts.count, {
      count: shown.length, score: Number(s.box_score_thresh), nms: Number(s.box_nms_thresh),
      per_image: Math.trunc(Number(s.box_detections_per_img)), model: p.raw.model_count});
    root.dataset.count = String(shown.length);
    root.dataset.settings = [Number(s.box_score_thresh), Number(s.box_nms_thresh),
                             Math.trunc(Number(s.box_detections_per_img))].join('|');
    root.dataset.drawn = String(performance.now());
  }

  // The heavy part (image + payload) comes once per capture and RPN setting; a value without it names it by key,
  // and a viewer that does not have it (mounted later, page reloaded) asks the server for it.
  const heavyByKey = window.__lensHeavy = window.__lensHeavy || new Map();
  function useHeavy(key, heavy) {
    heavyByKey.set(key, heavy);
    while (heavyByKey.size > 4) heavyByKey.delete(heavyByKey.keys().next().value);
    if (state.payloadKey === key && state.p) return;
    state.p = decode(heavy.payload);
    state.payloadKey = key;
    if (img.getAttribute('src') !== heavy.image) img.setAttribute('src', heavy.image || '');
  }

  function load() {
    let value = props.value;
    if (!value) { state.data = null; state.p = null; draw(); return; }
    const data = typeof value === 'string' ? JSON.parse(value) : value;
    state.data = data;
    state.settings = Object.assign({}, data.settings);
    const key = data.payload_key;
    if (data.heavy) useHeavy(key, data.heavy);
    else if (heavyByKey.has(key)) useHeavy(key, heavyByKey.get(key));
    else if (state.payloadKey !== key) {
      state.p = null;
      state.payloadKey = key;
      state.fetches = (state.fetches || 0) + 1;
      server.fetch_payload(key).then((text) => {
        if (!text || state.payloadKey !== key) return;
        useHeavy(key, typeof text === 'string' ? JSON.parse(text) : text);
        draw();
      });
    }
    draw();
  }

  function set(key, value) {
    if (!state.p) return;
    state.settings[key] = value;
    draw();
  }

  svg.addEventListener('mouseover', (event) => {
    const box = event.target.closest('.lens-viewer-box');
    if (!box || !state.p) return;
    const p = state.p, item = state.shown[Number(box.dataset.rank)], t = state.data.texts;
    if (!item) return;
    const iou = iouWithTruth(item);
    const lines = [
      `${box.dataset.label} · ${t.score} ${item.score.toFixed(4)}`,
      `${t.roi} #${item.proposal} · ${t.level} ${p.raw.level_names[item.level] ?? item.level}`,
      `${t.rank} ${Number(box.dataset.rank) + 1}`,
    ];
    if (iou !== null) lines.push(`${t.iou} ${iou.toFixed(2)}`);
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    box.classList.add('lens-viewer-hover');
    highlightRow(Number(box.dataset.rank), box.getAttribute('stroke'));
  });
  // The same detection in the table beside the image (its rows are the server's detections: only while the
  // drawn settings are the ones the server replayed at).
  let highlighted = null;
  function highlightRow(rank, stroke) {
    if (highlighted) { highlighted.style.outline = ''; highlighted = null; }
    const table = state.data && state.data.table && document.querySelector(state.data.table);
    if (!table || rank === null) return;
    const server = state.data.settings, now = state.settings;
    if (!Object.keys(server).every((key) => Number(server[key]) === Number(now[key]))) return;
    // Gradio's dataframe draws its visible rows as .virtual-row elements whose cells carry data-row.
    const cell = table.querySelector(`[data-row="${rank}"]`);
    const row = cell ? (cell.closest('.virtual-row, tr') || cell) : null;
    if (!row) return;
    row.style.outline = `3px solid ${stroke}`;
    row.scrollIntoView({block: 'nearest'});
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
    if (!state.p || !state.data.clickable) return;
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
