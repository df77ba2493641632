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
  var source = new EventSource(cfg.url + "?version=" + cfg.version);
  // The site's prefix this page was served under (the stream's URL is in it).
  var prefix = cfg.url.replace(/[^\/]*$/, "");
  source.addEventListener("reload", function (e) {
    source.close();
    var now = JSON.parse(e.data).prefix;
    var path = location.pathname;
    if (now && now !== prefix && path.indexOf(prefix) === 0) {
      // base_url changed: the same page is now served under another path.
      location.replace(now + path.slice(prefix.length) + location.search + location.hash);
    } else {
      location.reload();
    }
  });
  source.addEventListener("problems", function (e) {
    show(JSON.parse(e.data).problems);
  });
})();