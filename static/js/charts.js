// I2I charts: draws each Vega-Lite spec of the page (app/charts.py) with Vega's
// CSP-safe expression interpreter (no eval, no inline script). The spec is the JSON
// in the chart's data-chart attribute; the chart's table stays in the page for anyone who reads.
import { expressionInterpreter } from "./vendor/vega-interpreter.js";

const drawn = new WeakSet();

async function draw(element) {
  if (drawn.has(element)) return;
  drawn.add(element);
  const spec = JSON.parse(element.dataset.chart);
  const compiled = globalThis.vegaLite.compile(spec).spec;
  const runtime = globalThis.vega.parse(compiled, null, { ast: true });
  const view = new globalThis.vega.View(runtime, {
    expr: expressionInterpreter,
    renderer: "svg",
    container: element,
    hover: true,
  });
  await view.runAsync();
  element.dataset.drawn = "true";
}

function drawAll() {
  document.querySelectorAll("[data-chart]").forEach((element) => {
    draw(element).catch((error) => {
      element.dataset.drawn = "failed";
      element.textContent = "This chart could not be drawn; its table is below.";
      console.error(error);
    });
  });
}

drawAll();
document.addEventListener("htmx:afterSettle", drawAll);
