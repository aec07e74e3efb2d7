// OrderLib dashboard. Written for this package (MIT, like the rest of OrderLib); no external script.
// Every page works without it: it only adds zoom, pan and search to the DAG pictures.
"use strict";
(function () {
  function zoomable(svg) {
    const base = svg.viewBox.baseVal;
    const view = { x: base.x, y: base.y, w: base.width, h: base.height };
    const apply = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      const factor = event.deltaY > 0 ? 1.15 : 1 / 1.15;
      const box = svg.getBoundingClientRect();
      const px = view.x + ((event.clientX - box.left) / box.width) * view.w;
      const py = view.y + ((event.clientY - box.top) / box.height) * view.h;
      view.w *= factor; view.h *= factor;
      view.x = px - ((event.clientX - box.left) / box.width) * view.w;
      view.y = py - ((event.clientY - box.top) / box.height) * view.h;
      apply();
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (event) => {
      if (event.target.closest("a")) return;
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const box = svg.getBoundingClientRect();
      view.x = drag.vx - ((event.clientX - drag.x) / box.width) * view.w;
      view.y = drag.vy - ((event.clientY - drag.y) / box.height) * view.h;
      apply();
    });
    svg.addEventListener("pointerup", () => { drag = null; });
    return { reset() { Object.assign(view, { x: base.x, y: base.y, w: base.width, h: base.height }); apply(); } };
  }

  function searchable(container, input) {
    input.addEventListener("input", () => {
      const text = input.value.trim().toLowerCase();
      for (const node of container.querySelectorAll(".node")) {
        const name = (node.getAttribute("data-name") || "").toLowerCase();
        const match = text.length > 0 && name.includes(text);
        node.classList.toggle("match", match);
        node.classList.toggle("dim", text.length > 0 && !match);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const figure of document.querySelectorAll(".dag")) {
      const svg = figure.querySelector("svg");
      if (!svg) continue;
      const view = zoomable(svg);
      const reset = figure.parentElement.querySelector("[data-dag-reset]");
      if (reset) reset.addEventListener("click", () => view.reset());
      const search = figure.parentElement.querySelector("[data-dag-search]");
      if (search) searchable(figure, search);
    }
  });
})();
