"""Backend of Trợ lý Công đoàn (Python 3.11+, FastAPI, SQLAlchemy 2). Never imports bot/ or actions/."""
