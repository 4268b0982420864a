import Foundation

/// Small self-made SVG charts (no dependency): a line chart over categorical x values and a horizontal
/// grouped bar chart, both with an optional log scale.
public enum SVGChart {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    /// Lines over the categories `xLabels` (e.g. connection counts), one per series.
    public static func lines(title: String, xLabels: [String], yLabel: String, series: [Series], logScale: Bool = false)
        -> String
    {
        let width = 720.0
        let height = 400.0
        let left = 80.0
        let right = 200.0
        let top = 40.0
        let bottom = 50.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let values = series.flatMap { $0.values.compactMap { $0 } }.filter { $0 > 0 || !logScale }
        let scale = Scale(values: values, log: logScale, length: plotHeight)
        var svg = header(width: width, height: height, title: title)
        svg += axes(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, scale: scale, yLabel: yLabel)
        let step = xLabels.count > 1 ? plotWidth / Double(xLabels.count - 1) : 0
        let xPosition = { (index: Int) in xLabels.count > 1 ? left + Double(index) * step : left + plotWidth / 2 }
        for (index, label) in xLabels.enumerated() {
            svg += text(x: xPosition(index), y: top + plotHeight + 18, label, anchor: "middle")
        }
        for (number, line) in series.enumerated() {
            let color = palette[number % palette.count]
            let points = line.values.enumerated().compactMap { index, value -> String? in
                guard let value, !logScale || value > 0 else { return nil }
                return String(format: "%.1f,%.1f", xPosition(index), top + plotHeight - scale.position(value))
            }
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            for point in points {
                let xy = point.split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3.5\" fill=\"\(color)\"/>\n"
            }
            let legendY = top + 10 + Double(number) * 18
            svg +=
                "<rect x=\"\(left + plotWidth + 15)\" y=\"\(legendY - 9)\" width=\"12\" height=\"12\" fill=\"\(color)\"/>\n"
            svg += text(x: left + plotWidth + 32, y: legendY + 1, line.name)
        }
        return svg + "</svg>\n"
    }

    /// Horizontal bars: one row per label, one bar per series value in the row.
    public static func bars(
        title: String, rowLabels: [String], seriesNames: [String], values: [[Double]], unit: String,
        logScale: Bool = false
    ) -> String {
        let barHeight = 12.0
        let rowGap = 10.0
        let left = 230.0
        let right = 150.0
        let top = 40.0
        let width = 760.0
        let plotWidth = width - left - right
        let rowHeight = Double(seriesNames.count) * barHeight + rowGap
        let height = top + Double(rowLabels.count) * rowHeight + 50
        let all = values.flatMap { $0 }.filter { $0 > 0 || !logScale }
        let scale = Scale(values: all, log: logScale, length: plotWidth)
        var svg = header(width: width, height: height, title: title)
        for tick in scale.ticks {
            let x = left + scale.position(tick)
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(height - 45)\" stroke=\"#ddd\"/>\n"
            svg += text(x: x, y: height - 30, Scale.format(tick), anchor: "middle")
        }
        svg += text(x: left + plotWidth / 2, y: height - 10, unit + (logScale ? " (log scale)" : ""), anchor: "middle")
        for (row, label) in rowLabels.enumerated() {
            let rowTop = top + Double(row) * rowHeight
            svg += text(x: left - 8, y: rowTop + Double(seriesNames.count) * barHeight / 2 + 4, label, anchor: "end")
            for (index, value) in values[row].enumerated() where value > 0 || !logScale {
                let y = rowTop + Double(index) * barHeight
                let length = max(1, scale.position(value))
                svg += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>\n", left, y,
                    length, barHeight - 2, palette[index % palette.count])
                svg += text(x: left + length + 4, y: y + barHeight - 3, Scale.format(value), size: 10)
            }
        }
        for (index, name) in seriesNames.enumerated() {
            let legendY = top + 10 + Double(index) * 18
            svg +=
                "<rect x=\"\(width - right + 50)\" y=\"\(legendY - 9)\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>\n"
            svg += text(x: width - right + 67, y: legendY + 1, name)
        }
        return svg + "</svg>\n"
    }

    private static func header(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        \(text(x: width / 2, y: 22, title, anchor: "middle", size: 15))
        """
    }

    private static func axes(
        left: Double, top: Double, plotWidth: Double, plotHeight: Double, scale: Scale, yLabel: String
    )
        -> String
    {
        var svg = ""
        for tick in scale.ticks {
            let y = top + plotHeight - scale.position(tick)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#ddd\"/>\n"
            svg += text(x: left - 6, y: y + 4, Scale.format(tick), anchor: "end")
        }
        svg +=
            "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"#333\"/>\n"
        svg +=
            "<text x=\"16\" y=\"\(top + plotHeight / 2)\" transform=\"rotate(-90 16 \(top + plotHeight / 2))\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        return svg
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start", size: Int = 12) -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%@\" font-size=\"%d\">", x, y, anchor, size)
            + escape(content) + "</text>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Maps values to pixels from 0 (linear) or from the smallest power of ten (log) to a rounded maximum.
struct Scale {
    let log: Bool
    let low: Double
    let high: Double
    let length: Double

    init(values: [Double], log: Bool, length: Double) {
        self.log = log
        self.length = length
        let maximum = values.max() ?? 1
        if log {
            let minimum = values.filter { $0 > 0 }.min() ?? 1
            low = pow(10, floor(log10(minimum)))
            high = pow(10, ceil(log10(max(maximum, low * 10))))
        } else {
            low = 0
            let magnitude = pow(10, floor(log10(max(maximum, 1e-9))))
            high = (maximum / magnitude).rounded(.up) * magnitude
        }
    }

    func position(_ value: Double) -> Double {
        if log { return Foundation.log10(max(value, low) / low) / Foundation.log10(high / low) * length }
        return high > low ? (value - low) / (high - low) * length : 0
    }

    var ticks: [Double] {
        if log { return stride(from: log10(low), through: log10(high), by: 1).map { pow(10, $0) } }
        return (0...5).map { low + (high - low) * Double($0) / 5 }
    }

    /// 1234567 → "1.23M", 0.5 → "0.5".
    static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e9 { return String(format: "%.3gG", value / 1e9) }
        if magnitude >= 1e6 { return String(format: "%.3gM", value / 1e6) }
        if magnitude >= 1e4 { return String(format: "%.3gk", value / 1e3) }
        return String(format: "%.3g", value)
    }
}
