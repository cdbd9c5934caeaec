// The mask viewer (js_on_load of a gr.HTML; `element`, `props`, `trigger`, `watch` come from Gradio).
// The server sends, once per replay, every detection's pasted mask where it lands in the image, quantised to the
// mask-threshold slider's steps (inspectors.teaching.mask_walkthrough.MaskCrop: level > k exactly when the
// probability > k / steps). The slider's input events come here only (no server round trip): the masks are
// thresholded and redrawn in a canvas over the image; the boxes and the rest of the page stay.
// Read by tests: the root's data-threshold, data-mask-pixels (pixels drawn, all masks) and data-ready; each box's
// data-box, data-label, data-score, data-pixels.
(() => {
  const root = element.querySelector('.lens-masks');
  const img = root.querySelector('.lens-masks-img');
  const canvas = root.querySelector('.lens-masks-canvas');
  const svg = root.querySelector('.lens-masks-svg');
  const countLine = root.querySelector('.lens-masks-count');
  const NS = 'http://www.w3.org/2000/svg';
  const state = {data: null, key: null, masks: [], threshold: 0.5, token: 0};

  async function inflate(b64) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function rgb(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  // The slider's step k (masks > k / steps ⇔ levels > k, exact). A value typed between two steps is drawn at the
  // step below it and marked inexact (data-exact="false", "≈" in the count): the server's panel has the exact one.
  function step() {
    const steps = state.data ? state.data.steps : 100;
    const t = Number(state.threshold) * steps;
    const k = Math.round(t);
    state.exact = Math.abs(k - t) < 1e-6;
    return state.exact ? k : Math.floor(t);
  }

  function draw() {
    const data = state.data;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!data) { countLine.textContent = ''; root.dataset.ready = 'false'; return; }
    const w = data.width, h = data.height;
    canvas.width = w; canvas.height = h;
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const ctx = canvas.getContext('2d');
    const out = ctx.createImageData(w, h);
    const k = step();
    let total = 0;
    const pixels = [];
    // Lowest score first, so that the best detection's mask is on top where masks overlap.
    for (let i = state.masks.length - 1; i >= 0; i--) {
      const m = state.masks[i];
      if (!m) { pixels[i] = 0; continue; }
      const [x0, y0, x1, y1] = m.region;
      const cw = x1 - x0;
      const [r, g, b] = rgb(m.color);
      const alpha = i === data.chosen ? 170 : 125;
      let count = 0;
      for (let y = y0; y < y1; y++) {
        let src = (y - y0) * cw, dst = (y * w + x0) * 4;
        for (let x = x0; x < x1; x++, src++, dst += 4) {
          if (m.levels[src] > k) {
            out.data[dst] = r; out.data[dst + 1] = g; out.data[dst + 2] = b; out.data[dst + 3] = alpha;
            count++;
          }
        }
      }
      pixels[i] = count;
      total += count;
    }
    ctx.putImageData(out, 0, 0);
    data.detections.forEach((d, i) => {
      const [x1, y1, x2, y2] = d.box;
      const rect = document.createElementNS(NS, 'rect');
      rect.setAttribute('x', x1); rect.setAttribute('y', y1);
      rect.setAttribute('width', Math.max(x2 - x1, 0)); rect.setAttribute('height', Math.max(y2 - y1, 0));
      rect.setAttribute('stroke', d.color);
      rect.setAttribute('class', 'lens-masks-box' + (i === data.chosen ? ' lens-masks-chosen' : ''));
      rect.dataset.box = d.box.join(',');
      rect.dataset.label = d.name;
      rect.dataset.score = d.score;
      rect.dataset.rank = i;
      rect.dataset.pixels = pixels[i] ?? 0;
      const title = document.createElementNS(NS, 'title');
      title.textContent = `${i + 1}. ${d.name} · ${data.texts.score} ${d.score.toFixed(3)}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    });
    root.dataset.threshold = String(Number(state.threshold));
    root.dataset.exact = String(state.exact);
    root.dataset.maskPixels = String(total);
    root.dataset.masks = String(data.detections.length);
    countLine.textContent = (state.exact ? '' : '≈ ') + data.texts.count
      .replace('{count}', data.detections.length)
      .replace('{threshold}', Number(state.threshold).toFixed(2))
      .replace('{pixels}', total.toLocaleString());
  }

  async function load() {
    const value = props.value;
    if (!value) { state.data = null; state.masks = []; draw(); return; }
    const data = typeof value === 'string' ? JSON.parse(value) : value;
    const token = ++state.token;
    root.dataset.ready = 'false';
    if (img.getAttribute('src') !== data.image) img.setAttribute('src', data.image);
    let masks = state.masks;
    if (data.key !== state.key) {
      masks = await Promise.all(data.detections.map(async (d) => (
        {region: d.region, color: d.color, levels: await inflate(d.levels)})));
    }
    if (token !== state.token) return;   // a newer value arrived while inflating
    state.data = data; state.masks = masks; state.key = data.key;
    state.threshold = data.threshold;
    draw();
    root.dataset.ready = 'true';
  }

  function setThreshold(value) {
    state.threshold = Number(value);
    if (state.data) draw();
  }

  svg.addEventListener('click', (event) => {
    if (!state.data) return;
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    trigger('select', {index: [local.x, local.y], value: null});
  });

  // The slider tells the server its value on release (pointerup): a key press on it (arrows, Home, End) releases
  // it too, so that the step-by-step panel follows a keyboard as it follows a pointer.
  if (!window.lensMaskKeys) {
    window.lensMaskKeys = true;
    document.addEventListener('keyup', (event) => {
      const target = event.target;
      if (target && target.matches && target.matches('#lens-mask-threshold input[type=range]')) {
        target.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
      }
    });
  }

  window.lensMasks = {set: setThreshold, state, redraw: draw};
  window.lensMasksSet = setThreshold;
  watch('value', load);
  load();
})();
