/*
 * Leaflet.draw in Chinese: L.drawLocal (the plugin's own text catalogue) replaced on pages whose
 * <html lang> is Chinese. Loaded after leaflet.draw.js and before any draw control is made, since the
 * toolbar and tooltips read L.drawLocal when they are built. English pages keep the plugin's texts.
 */
(function () {
  "use strict";

  if (!window.L || !L.drawLocal || document.documentElement.lang.indexOf("zh") !== 0) {
    return;
  }
  L.drawLocal = {
    draw: {
      toolbar: {
        actions: { title: "取消绘制", text: "取消" },
        finish: { title: "完成绘制", text: "完成" },
        undo: { title: "删除最后绘制的点", text: "删除最后一点" },
        buttons: {
          polyline: "绘制折线",
          polygon: "绘制多边形",
          rectangle: "绘制矩形",
          circle: "绘制圆",
          marker: "放置标记",
          circlemarker: "放置圆点标记",
        },
      },
      handlers: {
        circle: { tooltip: { start: "按住并拖动以绘制圆。" }, radius: "半径" },
        circlemarker: { tooltip: { start: "单击地图放置圆点标记。" } },
        marker: { tooltip: { start: "单击地图放置标记。" } },
        polygon: {
          tooltip: {
            start: "单击开始绘制范围。",
            cont: "单击继续绘制范围。",
            end: "单击第一个点闭合范围（或点“完成”）。",
          },
        },
        polyline: {
          error: "<strong>错误：</strong>边线不能相交！",
          tooltip: { start: "单击开始绘制线。", cont: "单击继续绘制线。", end: "单击最后一个点结束绘制。" },
        },
        rectangle: { tooltip: { start: "按住并拖动以绘制矩形。" } },
        simpleshape: { tooltip: { end: "松开鼠标完成绘制。" } },
      },
    },
    edit: {
      toolbar: {
        actions: {
          save: { title: "保存修改", text: "保存" },
          cancel: { title: "取消编辑，放弃所有修改", text: "取消" },
          clearAll: { title: "清除全部图形", text: "全部清除" },
        },
        buttons: {
          edit: "编辑图形",
          editDisabled: "没有可编辑的图形",
          remove: "删除图形",
          removeDisabled: "没有可删除的图形",
        },
      },
      handlers: {
        edit: { tooltip: { text: "拖动控制点或标记以修改图形。", subtext: "点“取消”可撤销修改。" } },
        remove: { tooltip: { text: "单击要删除的图形。" } },
      },
    },
  };
})();
