import GRDB

/// A few short articles for the example to embed when it is given no database.
enum SampleArticles {
    static let all: [(title: String, body: String)] = [
        ("Sourdough at home", "Feed the starter, mix flour and water, fold, proof overnight and bake in a hot pot."),
        ("Fixing a flat tyre", "Lever the tyre off the rim, find the puncture, patch the tube and pump it up."),
        ("Watering tomatoes", "Water deeply at the base in the morning; irregular watering splits the fruit."),
        ("Backing up a laptop", "Copy your files to an external drive or a cloud service on a schedule."),
        ("Brewing pour-over coffee", "Grind medium-fine, bloom with a little water, then pour slowly in circles."),
    ]

    /// Creates `articles(id, title, body)` in a new SQLite file at `path`.
    static func write(to path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT)")
            for (index, article) in all.enumerated() {
                try db.execute(
                    sql: "INSERT INTO articles VALUES (?, ?, ?)", arguments: [index + 1, article.title, article.body])
            }
        }
        try queue.close()
    }
}
