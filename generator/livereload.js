(function () {
  var me = document.currentScript;
  var cfg = {url: me.getAttribute("data-url"),
             version: me.getAttribute("data-version")};
  var box = null;
  function show(problems) {
    if (box) { box.parentNode.removeChild(box); box = null; }
    if (!problems.length) return;
    box = document.createElement("div");
    box.id = "readinglist-build-errors";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483647;" +
      "overflow:auto;margin:0;padding:2rem;background:rgba(30,0,0,.94);color:#fff;" +
      "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" +
      "white-space:pre-wrap;text-align:left";
    var title = document.createElement("p");
    title.style.cssText = "font-weight:bold;margin:0 0 1rem";
    title.textContent = "The site could not be rebuilt; this page is the last good " +
      "version. Fix the file and the page updates by itself.";
    box.appendChild(title);
    problems.forEach(function (p) {
      var line = document.createElement("div");
      line.textContent = p.text;
      box.appendChild(line);
    });
    var hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "Hide";
    hide.style.cssText = "margin-top:1rem;font:inherit";
    hide.onclick = function () { show([]); };
    box.appendChild(hide);
    document.body.appendChild(box);
  }
  if (!window.EventSource) return;
  // The site's prefix this page was served under (the stream's URL is in it).
  var prefix = cfg.url.replace(/[^\/]*$/, "");
  var source = null;
  var leaving = false;
  function reload(e) {
    leaving = true;
    stop();
    var now = JSON.parse(e.data).prefix;
    var path = location.pathname;
    if (now && now !== prefix && path.indexOf(prefix) === 0) {
      // base_url changed: the same page is now served under another path.
      location.replace(now + path.slice(prefix.length) + location.search + location.hash);
    } else {
      location.reload();
    }
  }
  function listen() {
    if (source || leaving || document.visibilityState === "hidden") return;
    source = new EventSource(cfg.url + "?version=" + cfg.version);
    source.addEventListener("reload", reload);
    source.addEventListener("problems", function (e) {
      show(JSON.parse(e.data).problems);
    });
  }
  function stop() {
    if (source) source.close();
    source = null;
  }
  // A browser opens at most six connections to one server, and a stream holds one for
  // as long as its page is open: with a stream in every tab, the seventh tab's page never
  // loaded. A tab in the background lets its stream go; shown again, it listens again and
  // hears at once whether the site changed meanwhile (and what the problems are now).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") stop(); else listen();
  });
  listen();
})();
